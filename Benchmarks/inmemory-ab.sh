#!/usr/bin/env bash
# Compares two builds of switchyard on the in-memory bench, alternating them so that the machine's
# drift falls on both alike. Prints one line per invocation: the medians and the ratios to the
# AsyncStream baseline measured in the same run.
#
# Usage: BEFORE=path/to/old/switchyard AFTER=path/to/new/switchyard Benchmarks/inmemory-ab.sh
# Environment: ROUNDS (default 3), RUNS per invocation (default 3). The BEFORE build runs with its own
# default acks (each message before `--ack` existed, batch once it did, as at dce6536); the AFTER build
# is run with `--ack each` and with `--ack batch`.
set -euo pipefail
: "${BEFORE:?set BEFORE to the old switchyard binary}" "${AFTER:?set AFTER to the new switchyard binary}"
rounds="${ROUNDS:-3}"
runs="${RUNS:-3}"
summary='import json,sys; r=json.load(sys.stdin); s=r["switchyard"]; q=r["ratio"]; print(sys.argv[1], "ack=%s produce=%.0f consume=%.0f pipeline=%.0f ratio produce=%.2f consume=%.2f pipeline=%.2f p99@10k=%.3fms" % (r.get("ack", "each"), s["produce"], s["consume"], s["pipeline"], q["produce"], q["consume"], q["pipeline"], s["rateP99Ms"]))'
for _ in $(seq 1 "$rounds"); do
  "$BEFORE" bench --backend inmemory --runs "$runs" --json 2>/dev/null | python3 -c "$summary" before
  "$AFTER" bench --backend inmemory --runs "$runs" --ack each --json 2>/dev/null | python3 -c "$summary" after
  "$AFTER" bench --backend inmemory --runs "$runs" --ack batch --json 2>/dev/null | python3 -c "$summary" after
done

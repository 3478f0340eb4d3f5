#!/usr/bin/env bash
# Builds switchyard in release mode and benchmarks the in-memory backend against a plain AsyncStream,
# both measured in the same process run. Prints the table, then the same figures as one JSON object.
#
# Usage: Benchmarks/inmemory.sh [extra `switchyard bench` options, e.g. --messages 500000]
# Environment: RUNS (default 5), SCRATCH (default .build-bench), SWIFT (default swift).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
scratch="${SCRATCH:-$root/.build-bench}"
swift="${SWIFT:-swift}"

cd "$root"
"$swift" build -c release --scratch-path "$scratch" --product switchyard >&2
binary="$("$swift" build -c release --scratch-path "$scratch" --show-bin-path)/switchyard"

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, $("$swift" --version 2>/dev/null | head -n 1)"
echo "# per-message sends and acks"
"$binary" bench --backend inmemory --runs "$runs" "$@"
echo "# sends in batches of 100, acks per message"
"$binary" bench --backend inmemory --runs "$runs" --batch 100 --rate 0 "$@"
echo "# JSON, per-message sends and acks"
"$binary" bench --backend inmemory --runs "$runs" --json "$@"

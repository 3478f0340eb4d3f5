#!/usr/bin/env bash
# Builds switchyard in release mode and the raw librdkafka baseline (Benchmarks/rdkafka-baseline.c), then
# benchmarks the Kafka backend against that baseline, both run in each run of one `switchyard bench`
# on the same cluster: an in-process librdkafka mock cluster (3 brokers) unless
# SWITCHYARD_KAFKA_BOOTSTRAP_SERVERS names one. Prints the table of medians (add --json for every run).
#
# Usage: Benchmarks/kafka.sh [extra `switchyard bench` options, e.g. --messages 50000]
# Environment: RUNS (default 5), SCRATCH (default .build-bench), SWIFT (default swift), CC (default cc),
# RDKAFKA_BASELINE_CONSUME (unset: the baseline consumes with rd_kafka_consumer_poll; batch: with
# rd_kafka_consume_batch_queue).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
scratch="${SCRATCH:-$root/.build-bench}"
swift="${SWIFT:-swift}"
cc="${CC:-cc}"

cd "$root"
"$swift" build -c release --scratch-path "$scratch" --product switchyard >&2
binary="$("$swift" build -c release --scratch-path "$scratch" --show-bin-path)/switchyard"
baseline="$scratch/rdkafka-baseline"
# shellcheck disable=SC2046 # pkg-config prints several flags
"$cc" -O2 -o "$baseline" Benchmarks/rdkafka-baseline.c $(pkg-config --cflags --libs rdkafka)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, $("$swift" --version 2>/dev/null | head -n 1), librdkafka $(pkg-config --modversion rdkafka)"
"$binary" bench --backend kafka --runs "$runs" --rdkafka-baseline "$baseline" "$@"

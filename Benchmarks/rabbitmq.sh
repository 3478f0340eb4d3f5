#!/usr/bin/env bash
# Benchmarks the RabbitMQ backend against a raw rabbitmq-c C client and a pika client, all in one
# command, on classic and on quorum queues, against the local broker (`.ci/start-rabbitmq`).
#
# Every client does the same work: MESSAGES persistent messages of 100 bytes, published mandatory in
# confirm mode with at most 1000 unconfirmed, then consumed with prefetch 1000 and manual acks; C and
# Switchyard coalesce the acks of what they handled in one pass into one `multiple` ack, pika acks
# each message (see rabbitmq_baseline.c and rabbitmq_pika.py). Each round runs C, pika and `switchyard bench` one
# after another, in a virtual host of their own that is created afresh; the script prints every
# round, then the medians over the rounds and the ratios of the medians.
#
# Usage: Benchmarks/rabbitmq.sh [extra `switchyard bench` options]
# Environment: RUNS (rounds, default 5), MESSAGES (default 100000), SCRATCH (default .build-bench),
#              SWIFT (default swift), QUEUE_TYPES (default "classic quorum").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
messages="${MESSAGES:-100000}"
scratch="${SCRATCH:-$root/.build-bench}"
swift="${SWIFT:-swift}"
queue_types="${QUEUE_TYPES:-classic quorum}"
vhost="switchyard-bench"
size=100
window=1000
prefetch=1000

cd "$root"
"$swift" build -c release --scratch-path "$scratch" --product switchyard >&2
binary="$("$swift" build -c release --scratch-path "$scratch" --show-bin-path)/switchyard"
baseline="$scratch/rabbitmq_baseline"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$baseline" Benchmarks/rabbitmq_baseline.c $(pkg-config --cflags --libs librabbitmq)
python3 -c "import pika" 2>/dev/null || python3 -m pip install -q pika

rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost "$vhost" >/dev/null
rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
trap 'rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cores, rabbitmq-server $(rabbitmqctl -q version 2>/dev/null), librabbitmq $(pkg-config --modversion librabbitmq), pika $(python3 -c 'import pika; print(pika.__version__)')"
echo "# $messages persistent messages of $size B; confirm window $window; prefetch $prefetch; acks coalesced with multiple (C, Switchyard) or one per message (pika); $runs rounds"
for queue_type in $queue_types; do
  declare -A results=() medians=()
  for run in $(seq 1 "$runs"); do
    tag="$queue_type-$run-$RANDOM"
    c="$("$baseline" 127.0.0.1 5672 "$vhost" "c-$tag" "$queue_type" "$messages" "$size" "$window" "$prefetch")"
    pika="$(python3 Benchmarks/rabbitmq_pika.py 127.0.0.1 5672 "$vhost" "pika-$tag" "$queue_type" "$messages" "$size" "$window" "$prefetch")"
    sy="$("$binary" bench --backend rabbitmq --set "rabbitmq.url=amqp://guest:guest@127.0.0.1:5672/$vhost" \
      --set "rabbitmq.queueType=$queue_type" --messages "$messages" --size "$size" --in-flight "$window" \
      --prefetch "$prefetch" --rate 0 --runs 1 --json "$@")"
    sy_publish="$(printf '%s' "$sy" | sed -n 's/.*"switchyard":{[^}]*"produce":\([0-9.e+]*\).*/\1/p')"
    sy_consume="$(printf '%s' "$sy" | sed -n 's/.*"switchyard":{[^}]*"consume":\([0-9.e+]*\).*/\1/p')"
    sy_pipeline="$(printf '%s' "$sy" | sed -n 's/.*"switchyard":{[^}]*"pipeline":\([0-9.e+]*\).*/\1/p')"
    results[c_publish]+="$(field publish <<<"$c") "
    results[c_consume]+="$(field consume <<<"$c") "
    results[pika_publish]+="$(field publish <<<"$pika") "
    results[pika_consume]+="$(field consume <<<"$pika") "
    results[sy_publish]+="$sy_publish "
    results[sy_consume]+="$sy_consume "
    results[sy_pipeline]+="$sy_pipeline "
    printf '%s round %d: C %s | pika %s | switchyard publish=%.0f consume=%.0f pipeline=%.0f\n' \
      "$queue_type" "$run" "$c" "$pika" "$sy_publish" "$sy_consume" "$sy_pipeline"
  done
  for key in "${!results[@]}"; do
    medians[$key]="$(tr ' ' '\n' <<<"${results[$key]}" | grep . | median)"
  done
  echo
  echo "## $queue_type queues, medians of $runs rounds (msg/s)"
  printf '| | publish | consume | pipeline |\n|---|---:|---:|---:|\n'
  printf '| switchyard bench | %.0f | %.0f | %.0f |\n' "${medians[sy_publish]}" "${medians[sy_consume]}" "${medians[sy_pipeline]}"
  printf '| raw rabbitmq-c | %.0f | %.0f | |\n' "${medians[c_publish]}" "${medians[c_consume]}"
  printf '| pika | %.0f | %.0f | |\n' "${medians[pika_publish]}" "${medians[pika_consume]}"
  printf '| switchyard / C | %s× | %s× | |\n' "$(ratio "${medians[sy_publish]}" "${medians[c_publish]}")" "$(ratio "${medians[sy_consume]}" "${medians[c_consume]}")"
  printf '| switchyard / pika | %s× | %s× | |\n' "$(ratio "${medians[sy_publish]}" "${medians[pika_publish]}")" "$(ratio "${medians[sy_consume]}" "${medians[pika_consume]}")"
  unset results medians
done

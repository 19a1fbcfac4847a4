#!/usr/bin/env bash
# Cost of the protection stack on /health: server CPU per request with X-Request-ID, metrics,
# a global rate limit and an admission gate ("full") against none of them ("bare").
#   bench/stack.sh        (after a release build; DURATION=10s ROUNDS=3 CONNECTIONS=64)
# Servers pinned to CPU 0, wrk to CPU 1; rounds alternate to spread machine drift evenly.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
duration=${DURATION:-10s} rounds=${ROUNDS:-3} connections=${CONNECTIONS:-64}
# shellcheck source=bench/cpu_per_request.sh
. "$root/bench/cpu_per_request.sh"

taskset -c 0 "$build/sluice-stack-bench" bare 8021 >/dev/null 2>&1 & bare=$!
taskset -c 0 "$build/sluice-stack-bench" full 8022 >/dev/null 2>&1 & full=$!
trap 'kill $bare $full 2>/dev/null' EXIT
for port in 8021 8022; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
done
curl -fsi http://127.0.0.1:8022/health | grep -qi '^x-request-id' || { echo "full stack not active" >&2; exit 1; }

echo "round,stack,requests,server_cpu_us_per_request,requests_per_s,non_2xx"
sum_full=0 sum_bare=0
for round in $(seq 1 "$rounds"); do
  for stack in full bare; do
    if [ $stack = full ]; then read -r n cpu rps errors < <(measure_cpu $full http://127.0.0.1:8022/health "$connections" "$duration")
    else read -r n cpu rps errors < <(measure_cpu $bare http://127.0.0.1:8021/health "$connections" "$duration"); fi
    echo "$round,$stack,$n,$cpu,$rps,$errors"
    [ $stack = full ] && sum_full=$(echo "$sum_full + $cpu" | bc -l) || sum_bare=$(echo "$sum_bare + $cpu" | bc -l)
  done
done
echo "full/bare server CPU per request: $(echo "scale=3; $sum_full / $sum_bare" | bc -l) (ceiling 1.05)"

#!/usr/bin/env bash
# Cost of the typed API layer: server CPU per request of a typed route (query parameter + body
# model with constraints + one dependency) against a raw route doing the same work by hand.
#   bench/api.sh        (after a release build; DURATION=10s ROUNDS=3 by default)
# Server pinned to CPU 0, wrk to CPU 1; rounds alternate typed/raw to spread drift evenly.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
duration=${DURATION:-10s} rounds=${ROUNDS:-3} port=${PORT:-8010}
# shellcheck source=bench/cpu_per_request.sh
. "$root/bench/cpu_per_request.sh"

taskset -c 0 "$build/sluice-api-bench" "$port" >/dev/null 2>&1 & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
for route in typed raw; do  # both must answer 200 before anything is measured
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"name":"pen","price":1.5,"quantity":3}' "http://127.0.0.1:$port/$route?currency=EUR")
  [ "$code" = 200 ] || { echo "/$route answered $code" >&2; exit 1; }
done

echo "round,route,requests,server_cpu_us_per_request,requests_per_s,non_2xx"
sum_typed=0 sum_raw=0
for round in $(seq 1 "$rounds"); do
  for route in typed raw; do
    read -r n cpu rps errors < <(measure_cpu $server "http://127.0.0.1:$port/$route?currency=EUR" 64 "$duration" -s "$root/bench/item.lua")
    echo "$round,$route,$n,$cpu,$rps,$errors"
    [ "$route" = typed ] && sum_typed=$(echo "$sum_typed + $cpu" | bc -l) || sum_raw=$(echo "$sum_raw + $cpu" | bc -l)
  done
done
echo "typed/raw server CPU per request: $(echo "scale=3; $sum_typed / $sum_raw" | bc -l) (ceiling 1.10)"

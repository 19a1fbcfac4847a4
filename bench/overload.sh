#!/usr/bin/env bash
# Load shedding under overload: a route capped at 64 in flight whose handler takes 50 ms
# (capacity 64 / 0.05 s = 1,280 req/s), first at half its capacity over 64 connections
# (unloaded), then at 4× its capacity over 1,024 connections for 60 s. Reports latency by
# status (the load client schedules requests open-loop, so a slow server cannot hide behind a
# waiting client), connection errors, and the server's resident memory every 10 s.
#   bench/overload.sh      (after a release build; SECONDS_OVERLOAD=60 MAX_QUEUE=32 QUEUE_TIMEOUT_MS=2000,
#                           which are `sluice serve`'s defaults for its model stage)
# Server pinned to CPU 0, load client to CPU 1.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
port=${PORT:-8041}
overload_seconds=${SECONDS_OVERLOAD:-60}
work=$(mktemp -d)

taskset -c 0 "$build/sluice-overload-server" "$port" "${MAX_QUEUE:-32}" "${QUEUE_TIMEOUT_MS:-2000}" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }

echo "== unloaded: 640 req/s over 64 connections, 10 s"
taskset -c 1 "$build/sluice-load-client" 127.0.0.1 "$port" /work 64 640 10 | tee "$work/unloaded"

echo "== 4x overload: 5120 req/s over 1024 connections, ${overload_seconds} s"
echo "server RSS before: $(rss) KiB"
taskset -c 1 "$build/sluice-load-client" 127.0.0.1 "$port" /work 1024 5120 "$overload_seconds" >"$work/overload" &
client=$!
for _ in $(seq 10 10 "$overload_seconds"); do sleep 10; echo "server RSS: $(rss) KiB"; done
wait $client
cat "$work/overload"
echo "gate: $(curl -s "http://127.0.0.1:$port/stats")"

unloaded_p99=$(awk -F, '$1 == 200 {print $5}' "$work/unloaded")
admitted_p99=$(awk -F, '$1 == 200 {print $5}' "$work/overload")
other=$(awk -F, '$1 ~ /^[0-9]+$/ && $1 != 200 && $1 != 429 && $1 != 503 {n += $2} $1 == "connection_errors" {n += $2} END {print n + 0}' "$work/overload")
echo "admitted p99 / unloaded p99: $(echo "scale=2; $admitted_p99 / $unloaded_p99" | bc -l) (ceiling 2.0); errors other than 429/503: $other"

#!/usr/bin/env bash
# User and system CPU time and context switches per `GET /generate`, summed over the server's
# threads (/proc/PID/task/*/stat and status around one wrk run): what a change to the compute
# hop or the HTTP client does that instruction counts do not show.
#   bench/cpu_split.sh        (after a release build)   BUILD, CONNS (64), SECONDS_EACH (5)
# Pinning as bench/http.sh: the server on CPU 0; wrk and the context API (20 ms) on CPU 1.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
conns=${CONNS:-64} seconds=${SECONDS_EACH:-5}
data=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$data"' EXIT

taskset -c 1 "$build/sluice-context-api" 9000 20 >/dev/null 2>&1 & pids+=($!)
taskset -c 0 "$build/sluice" serve --host 127.0.0.1 --port 8000 --context-url http://127.0.0.1:9000/context \
  --log-level warn --data-dir "$data" >/dev/null 2>&1 & server=$!; pids+=("$server")
for _ in $(seq 1 100); do
  curl -fs http://127.0.0.1:8000/health >/dev/null && curl -fs http://127.0.0.1:9000/health >/dev/null && break
  sleep 0.1
done

snapshot() {  # → user_ticks system_ticks voluntary nonvoluntary, all threads together
  local user=0 system=0 voluntary=0 involuntary=0 u s
  for task in /proc/"$server"/task/*; do
    read -r u s < <(awk '{print $14, $15}' "$task/stat")
    user=$((user + u)) system=$((system + s))
    voluntary=$((voluntary + $(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")))
    involuntary=$((involuntary + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status")))
  done
  echo "$user $system $voluntary $involuntary"
}

url="http://127.0.0.1:8000/generate?prompt=hi"
taskset -c 1 wrk -t1 -c"$conns" -d2s "$url" >/dev/null 2>&1
read -r u0 s0 v0 n0 < <(snapshot)
requests=$(taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" "$url" 2>&1 | awk '/ requests in / {print $1}')
read -r u1 s1 v1 n1 < <(snapshot)
awk -v n="$requests" -v hz="$(getconf CLK_TCK)" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v v=$((v1 - v0)) -v i=$((n1 - n0)) \
  -v c="$conns" 'BEGIN {printf "connections %d, %d requests: user %.0f us, system %.0f us, voluntary switches %.2f, involuntary %.2f per request\n",
                  c, n, u / hz * 1e6 / n, s / hz * 1e6 / n, v / n, i / n}'

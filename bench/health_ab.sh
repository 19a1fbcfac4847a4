#!/usr/bin/env bash
# /health of `sluice serve` (its defaults) against nginx, alternating ROUNDS times on one warm
# machine: the foundation floor (≥ 0.9× nginx's requests/s) with more samples than one
# bench/http.sh run, and the machine's drift shared by both.
#   bench/health_ab.sh      (after a release build)   BUILD, ROUNDS (5), SECONDS_EACH (4), CONNS ("64 256")
# Pinning as bench/http.sh: both servers on CPU 0 (only one is loaded at a time), wrk on CPU 1.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
rounds=${ROUNDS:-5} seconds=${SECONDS_EACH:-4} conns=${CONNS:-64 256}
sluice_port=8000 nginx_port=8001
pids=()
data=$(mktemp -d)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$data"' EXIT

wait_up() { for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done
            echo "nothing answers on port $1" >&2; exit 1; }
taskset -c 0 "$build/sluice" serve --host 127.0.0.1 --port $sluice_port --log-level warn --data-dir "$data" \
  >/dev/null 2>&1 & pids+=($!)
taskset -c 0 "$root/../shared/peers/nginx/serve.sh" $nginx_port >/dev/null 2>&1 & pids+=($!)
wait_up $sluice_port
wait_up $nginx_port

rps() {  # PORT CONNECTIONS → requests/s
  taskset -c 1 wrk -t1 -c"$2" -d1s "http://127.0.0.1:$1/health" >/dev/null 2>&1
  taskset -c 1 wrk -t1 -c"$2" -d"${seconds}s" "http://127.0.0.1:$1/health" 2>&1 | awk '/Requests\/sec/ {printf "%.0f", $2}'
}
echo "round,connections,sluice,nginx,ratio"
for c in $conns; do
  total_s=0 total_n=0
  for r in $(seq 1 "$rounds"); do
    s=$(rps $sluice_port "$c") n=$(rps $nginx_port "$c")
    total_s=$((total_s + s)) total_n=$((total_n + n))
    awk -v r="$r" -v c="$c" -v s="$s" -v n="$n" 'BEGIN {printf "%d,%d,%d,%d,%.2f\n", r, c, s, n, s / n}'
  done
  awk -v c="$c" -v s="$total_s" -v n="$total_n" \
    'BEGIN {printf "health@%d: sluice/nginx requests/s %.2f over all rounds (floor 0.90)\n", c, s / n}'
done

#!/usr/bin/env bash
# The foundation benchmark: Sluice against its peers in one sitting, measured the way
# ../shared/peers/fastapi/bench.sh measures (wrk, one thread, fixed scenarios), plus the server
# process tree's CPU time per completed request.
#
#   bench/http.sh            (after `scripts/setup --bench` and a release build)
#   DURATION=10s bench/http.sh
#
# Pinning: the server under test on CPU 0; wrk and the context API on CPU 1.
# Output: CSV lines  system,scenario,connections,requests_per_s,p50_ms,p99_ms,errors,server_cpu_us_per_request
# then the ratios the foundation issue sets floors for.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
peers=$(cd "$root/../shared/peers" && pwd)
build=${BUILD:-$root/build/release}
duration=${DURATION:-10s}
port=8000 upstream_port=9000
out=$(mktemp)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT

[ -x "$build/sluice" ] && [ -x "$build/sluice-context-api" ] || {
  echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }

wait_up() { for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done; return 1; }
tree() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; }
cpu_ticks() { local t=0; for p in $(tree "$1"); do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)

# run LABEL PID SCENARIO CONNECTIONS URL [post]
run() {
  local label=$1 pid=$2 scenario=$3 conns=$4 url=$5 extra=()
  [ "${6:-}" = post ] && extra=(-s "$peers/fastapi/post.lua")
  taskset -c 1 wrk -t1 -c"$conns" -d2s "${extra[@]}" "$url" >/dev/null 2>&1
  local t0; t0=$(cpu_ticks "$pid")
  local result; result=$(taskset -c 1 wrk -t1 -c"$conns" -d"$duration" --latency "${extra[@]}" "$url" 2>&1)
  local t1; t1=$(cpu_ticks "$pid")
  echo "$result" | awk -v sys="$label" -v sc="$scenario" -v c="$conns" -v ticks=$((t1 - t0)) -v hz="$hz" '
    function ms(v){ if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ {rps=$2} / 50%/ {p50=ms($2)} / 99%/ {p99=ms($2)}
    /Non-2xx/ {err+=$NF} /Socket errors/ {gsub(",","");err+=$4+$6+$8+$10}
    / requests in / {n=$1}
    END {printf "%s,%s,%s,%.0f,%.3f,%.3f,%d,%.1f\n", sys, sc, c, rps, p50, p99, err, (n>0 ? ticks/hz*1e6/n : 0)}' | tee -a "$out"
}

# serve LABEL "COMMAND"  → starts it pinned to CPU 0, sets $server_pid
serve() {
  if curl -fs "http://127.0.0.1:$port/health" >/dev/null; then echo "port $port is already in use" >&2; exit 1; fi
  taskset -c 0 bash -c "exec $2" >/dev/null 2>&1 & server_pid=$!; pids+=("$server_pid")
  wait_up "$port" || { echo "$1 did not start" >&2; exit 1; }
}
stop_server() { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; sleep 0.5; }

article() { # LABEL
  run "$1" "$server_pid" health 64 "http://127.0.0.1:$port/health"
  run "$1" "$server_pid" health 256 "http://127.0.0.1:$port/health"
  run "$1" "$server_pid" generate 64 "http://127.0.0.1:$port/generate?prompt=hi"
  run "$1" "$server_pid" generate 256 "http://127.0.0.1:$port/generate?prompt=hi"
  run "$1" "$server_pid" ai_generate 64 "http://127.0.0.1:$port/ai/generate?prompt=hi" post
}

echo "system,scenario,connections,requests_per_s,p50_ms,p99_ms,errors,server_cpu_us_per_request"

# The context APIs alone: the one used must sustain 256 connections / 20 ms = 12,800 requests/s.
for p in $port $upstream_port; do
  if curl -s -o /dev/null "http://127.0.0.1:$p/"; then echo "port $p is already in use" >&2; exit 1; fi
done
taskset -c 1 /usr/bin/python3 "$peers/fastapi/upstream.py" "$upstream_port" 20 >/dev/null 2>&1 & py=$!; pids+=("$py")
sleep 1
run upstream.py "$py" context 256 "http://127.0.0.1:$upstream_port/context?query=hi"
kill "$py"; wait "$py" 2>/dev/null; sleep 0.5
taskset -c 1 "$build/sluice-context-api" "$upstream_port" 20 >/dev/null 2>&1 & ctx=$!; pids+=("$ctx")
wait_up "$upstream_port" || { echo "context API did not start" >&2; exit 1; }
run context-api "$ctx" context 256 "http://127.0.0.1:$upstream_port/context?query=hi"
export CONTEXT_URL="http://127.0.0.1:$upstream_port/context"

serve sluice "$build/sluice serve --host 127.0.0.1 --port $port --context-url $CONTEXT_URL --log-level warn --data-dir $(mktemp -d)"
article sluice; stop_server

serve nginx "$peers/nginx/serve.sh $port"
run nginx "$server_pid" health 64 "http://127.0.0.1:$port/health"
run nginx "$server_pid" health 256 "http://127.0.0.1:$port/health"
stop_server

cd "$peers/fastapi"
uvicorn="/usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port $port --loop uvloop --http httptools --no-access-log --log-level warning"
serve fastapi-tuned "env SHARED_CLIENT=1 $uvicorn"; article fastapi-tuned; stop_server
serve fastapi "$uvicorn"; article fastapi; stop_server

echo
echo "# ratios (floors from the foundation issue)"
awk -F, '
  {key=$1","$2","$3; rps[key]=$4; cpu[key]=$8; err[key]=$7}
  END {
    for (c in a) {}
    split("64 256", cs, " ")
    for (i in cs) { c=cs[i]
      printf "health@%s: sluice/nginx requests/s %.2f (floor 0.90), CPU/request %.2f (ceiling 1.50)\n", c,
        rps["sluice,health,"c]/rps["nginx,health,"c], cpu["sluice,health,"c]/cpu["nginx,health,"c]
      printf "generate@%s: %.0f%% of ideal %d requests/s (floor 85%%), errors %d, CPU/request 1/%.1f of tuned FastAPI (floor 1/20)\n", c,
        100*rps["sluice,generate,"c]/(c/0.020), c/0.020, err["sluice,generate,"c], cpu["fastapi-tuned,generate,"c]/cpu["sluice,generate,"c]
    }
  }' "$out"

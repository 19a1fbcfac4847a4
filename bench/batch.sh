#!/usr/bin/env bash
# /v1/batches on the built-in embedder against plain HTTP clients, and what a running batch does
# to interactive latency.
#   flock /tmp/sluice-build.lock bench/batch.sh     (after a release build)
# 1. HTTP: POST /v1/embeddings (the batch lines' bodies) from 32 concurrent keep-alive clients
#    (wrk) for HTTP_SECONDS (default 5, about as many requests as the batch) → requests/s.
# 2. Batch: the same LINES requests as one /v1/batches batch (curl: upload, create, poll every
#    20 ms) → lines/s from create to completed, all lines checked completed.
# 3. Interactive p99: one client, one request every 10 ms (open loop), alone for 20 s, then while
#    a 50,000-line batch runs (until it leaves in_progress, at most 60 s; then cancelled).
# One server for all three: SERVER_FLAGS (default: 1 IO thread, 2 compute threads, 1 job worker),
# pinned to SERVER_CPUS, clients to CLIENT_CPUS (defaults: all CPUs for both).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
port=${PORT:-8030} lines=${LINES:-10000} http_seconds=${HTTP_SECONDS:-5}
server_cpus=${SERVER_CPUS:-0-$(($(nproc) - 1))} client_cpus=${CLIENT_CPUS:-0-$(($(nproc) - 1))}
flags=${SERVER_FLAGS:---workers 1 --compute-threads 2 --job-workers 1}
url="http://127.0.0.1:$port"
data=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT

# shellcheck disable=SC2086
taskset -c "$server_cpus" "$build/sluice" serve --port "$port" --data-dir "$data" --log-level warn $flags \
  >/dev/null 2>&1 & server=$!
for _ in $(seq 1 100); do curl -fs "$url/health" >/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
field() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);console.log(eval('v.'+process.argv[1]))})" "$1"; }
upload() { curl -fs "$url/v1/files" -F purpose=batch -F "file=@$1" | field id; }
create() { curl -fs "$url/v1/batches" -H 'Content-Type: application/json' \
  -d "{\"input_file_id\":\"$1\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\"}" | field id; }
status() { curl -fs "$url/v1/batches/$1" | field status; }

# Warm-up: the model's pages, the allocator, the connections.
taskset -c "$client_cpus" wrk -t1 -c32 -d2s -s "$root/bench/batch_requests.lua" "$url" >/dev/null

taskset -c "$client_cpus" wrk -t1 -c32 -d"$http_seconds"s -s "$root/bench/batch_requests.lua" "$url" >"$data/wrk.txt"
http_per_s=$(awk '/Requests\/sec/{print $2}' "$data/wrk.txt")
http_errors=$(awk '/Non-2xx/{print $NF}' "$data/wrk.txt")

node "$root/bench/batch_load.mjs" input "$lines" >"$data/input.jsonl"
file=$(upload "$data/input.jsonl")
start=$(now)
batch=$(create "$file")
while [ "$(status "$batch")" != completed ]; do sleep 0.02; done
batch_s=$(echo "$(now) - $start" | bc -l)
completed=$(curl -fs "$url/v1/batches/$batch" | field request_counts.completed)

alone=$(taskset -c "$client_cpus" node "$root/bench/batch_load.mjs" interactive "$url" 10 20)
node "$root/bench/batch_load.mjs" input 50000 >"$data/big.jsonl"
big=$(create "$(upload "$data/big.jsonl")")
while [ "$(status "$big")" != in_progress ]; do sleep 0.02; done
during=$(taskset -c "$client_cpus" node "$root/bench/batch_load.mjs" interactive "$url" 10 60 "$big")
big_done=$(curl -fs "$url/v1/batches/$big" | field request_counts.completed)
curl -fs -X POST "$url/v1/batches/$big/cancel" >/dev/null || true  # it may have completed

echo "lines,http_32_clients_per_s,batch_lines_per_s,batch_vs_http,batch_completed,http_non_2xx"
awk -v n="$lines" -v h="$http_per_s" -v b="$batch_s" -v c="$completed" -v e="${http_errors:-0}" \
  'BEGIN {printf "%d,%.0f,%.0f,%.2f,%d,%d\n", n, h, n/b, (n/b)/h, c, e}'
echo "interactive,samples,p50_ms,p99_ms,max_ms,errors"
echo "alone,$alone"
echo "with_batch,$during"
echo "$alone" "$during" | awk -F'[, ]' '{printf "p99 ratio (with batch / alone): %.2f\n", $8/$3}'
echo "batch lines done while interactive ran: $big_done"

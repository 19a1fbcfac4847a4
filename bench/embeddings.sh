#!/usr/bin/env bash
# Embedding throughput of the built-in embedder (texts/s), batching off vs on, at 1, 8 and 32
# concurrent clients (one text per request).
#   flock /tmp/sluice-build.lock bench/embeddings.sh   (after a release build; DURATION=10s)
# Server pinned to CPU 0 (1 IO thread, 1 compute thread), wrk to CPU 1. "off" is
# --batch-max-size 1: every request is its own model call; "on" is the default batcher.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
duration=${DURATION:-10s} port=${PORT:-8020}
data=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT

metric() { curl -fs "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 ~ "^"m"\\{" {print $2}'; }

echo "batching,clients,texts_per_s,p50_latency,mean_batch_size,non_2xx"
wait_us=${WAIT_US:-1000}
for mode in off on; do
  size=64
  [ "$mode" = off ] && size=1
  taskset -c 0 "$build/sluice" serve --port "$port" --workers 1 --compute-threads 1 --job-workers 0 \
    --data-dir "$data" --log-level warn --batch-max-size "$size" --batch-max-wait-us "$wait_us" >/dev/null 2>&1 & server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  for clients in 1 8 32; do
    taskset -c 1 wrk -t1 -c"$clients" -d2s -s "$root/bench/embeddings.lua" "http://127.0.0.1:$port" >/dev/null
    b0=$(metric sluice_ai_batches_total) t0=$(metric sluice_ai_batch_texts_total)
    out=$(taskset -c 1 wrk -t1 -c"$clients" -d"$duration" --latency -s "$root/bench/embeddings.lua" \
      "http://127.0.0.1:$port")
    b1=$(metric sluice_ai_batches_total) t1=$(metric sluice_ai_batch_texts_total)
    echo "$out" | awk -v mode="$mode" -v c="$clients" -v b=$((b1 - b0)) -v t=$((t1 - t0)) \
      '/Requests\/sec/{r=$2} /^ +50%/{p=$2} /Non-2xx/{e=$NF}
       END {printf "%s,%d,%.0f,%s,%.2f,%d\n", mode, c, r, p, (b ? t/b : 0), e}'
  done
  kill $server; wait $server 2>/dev/null || true
done

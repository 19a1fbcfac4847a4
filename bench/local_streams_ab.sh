#!/usr/bin/env bash
# Sluice's local provider and llama-server alternately, ROUNDS times each, at STREAMS concurrent
# streams (2 requests per stream, TOKENS tokens each): more samples per point than
# bench/local_models.sh, and the machine's drift shared by both, for the 16-stream floors.
#   MODEL=/tmp/llama88m.gguf bench/local_streams_ab.sh   (after bench/local_models.sh built llama-server)
# MODEL (default stories260K), BUILD (default build/release), ROUNDS (3), STREAMS (16), TOKENS (64).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
model=${MODEL:-$root/../shared/models/stories260K/stories260K.gguf}
rounds=${ROUNDS:-3} streams=${STREAMS:-16} tokens=${TOKENS:-64} port=${PORT:-8049}
llama_server=$root/.deps/llama-server-build/bin/llama-server
data=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
wait_ready() {
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/v1/models" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}
measure() {  # $1: label; the server is up
  wait_ready
  taskset -c 1 node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" 16 1 16 >/dev/null  # warm-up
  echo "$1 $(taskset -c 1 node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" "$streams" 2 "$tokens")"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
}
for _ in $(seq 1 "$rounds"); do
  taskset -c 0 "$build/sluice" serve --port "$port" --workers 1 --compute-threads 1 --job-workers 0 \
    --data-dir "$data" --log-level warn --model "stories=$model" --model-threads 1 --parallel 16 \
    --ctx-size 512 --model-batch-tokens 512 >/dev/null 2>&1 & server=$!
  measure sluice
  taskset -c 0 "$llama_server" --port "$port" -m "$model" -a stories -t 1 -tb 1 -c 8192 -b 512 -ub 512 \
    --log-disable -np 16 >/dev/null 2>&1 & server=$!
  measure llama-server
done

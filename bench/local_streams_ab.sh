#!/usr/bin/env bash
# Sluice's local provider and llama-server alternately, ROUNDS times each, at STREAMS concurrent
# streams (2 requests per stream, TOKENS tokens each): more samples per point than
# bench/local_models.sh, and the machine's drift shared by both, for the 16-stream floors.
#   MODEL=/tmp/llama88m.gguf bench/local_streams_ab.sh   (after a release build)
# MODEL (default stories260K), BUILD (default build/release), ROUNDS (3), STREAMS (16), TOKENS (64).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
model=${MODEL:-$root/../shared/models/stories260K/stories260K.gguf}
rounds=${ROUNDS:-3} streams=${STREAMS:-16} tokens=${TOKENS:-64} port=${PORT:-8049}
threads=1 server_cpus=0 client_cpu=$(($(nproc) - 1))
"$root/scripts/llama-cpp" --server >/dev/null
data=$(mktemp -d)
. "$root/bench/local_servers.sh"

measure() {  # $1: label; the server is up
  taskset -c "$client_cpu" node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" 16 1 16 >/dev/null  # warm-up
  echo "$1 $(taskset -c "$client_cpu" node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" "$streams" 2 "$tokens")"
  stop
}
for _ in $(seq 1 "$rounds"); do
  start_sluice --model; measure sluice
  start_llama -np 16; measure llama-server
done

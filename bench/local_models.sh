#!/usr/bin/env bash
# Sluice's local provider against llama.cpp's own llama-server, built from the same pinned
# source (scripts/llama-cpp --server), same model file, same threads, same machine, one after
# the other: generated tokens/s at 1, 4 and 16 streams (128 tokens each, ignore_eos), time to
# first token p50/p99, and embeddings/s.
#   flock /tmp/sluice-build.lock bench/local_models.sh   (after a release build)
# MODEL (default ../shared/models/stories260K/stories260K.gguf), THREADS (llama.cpp threads, 1),
# ROUNDS (requests per stream, 2), SECONDS (embedding run, 10). Servers on CPU 0 (plus CPU 1 when
# THREADS=2), the Node client on the last CPU.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
model=${MODEL:-$root/../shared/models/stories260K/stories260K.gguf}
threads=${THREADS:-1} rounds=${ROUNDS:-2} seconds=${SECONDS_EMBED:-10} port=${PORT:-8040}
"$root/scripts/llama-cpp" --server >/dev/null
server_cpus=0
[ "$threads" -gt 1 ] && server_cpus=0-$((threads - 1))
client_cpu=$(($(nproc) - 1))
data=$(mktemp -d)
. "$root/bench/local_servers.sh"

generation() {  # $1: label
  for streams in 1 4 16; do
    taskset -c "$client_cpu" node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" "$streams" 1 16 >/dev/null
    echo "$1 $(taskset -c "$client_cpu" node "$root/bench/local_stream.mjs" "http://127.0.0.1:$port" "$streams" "$rounds")"
  done
}
embeddings() {  # $1: label
  for clients in 1 16; do
    echo "$1 $(taskset -c "$client_cpu" node "$root/bench/local_embeddings.mjs" "http://127.0.0.1:$port" "$clients" "$seconds")"
  done
}

echo "model $(basename "$model"), $threads llama.cpp thread(s), $(nproc) CPUs"
start_sluice --model; generation sluice; stop
start_llama -np 16; generation llama-server; stop
start_sluice --embedding-model; embeddings sluice; stop
start_llama -np 16 --embeddings --pooling mean; embeddings llama-server; stop

#!/usr/bin/env bash
# Vector search at scale: build time, index size and memory per chunk of rag::VectorIndex over
# 200,000 synthetic chunks (BEIR sentences recombined, built-in embedder), then recall@10 against
# exact search and search p50/p99 per ef. One process pinned to CPU 0.
#   flock /tmp/sluice-build.lock bench/vector_scale.sh [--chunks 200000] [--queries 1000] [--ef 64,128,256]
# BUILD (default build/ci). Runs from the repository root: --corpus (default
# ../shared/datasets/scifact/corpus.jsonl) is relative to it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/ci}
cd "$root" && exec taskset -c 0 "$build/sluice-vector-scale" "$@"

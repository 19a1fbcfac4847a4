#!/usr/bin/env bash
# Streamed chat through the remote provider: time to first token and tokens/s, for the built-in
# generator served directly and through a second Sluice whose --provider-url is the first
# (every chunk relayed: upstream SSE → HttpClient::stream → SSE parse → SSE out).
#   flock /tmp/sluice-build.lock bench/chat_stream.sh   (after a release build; REQUESTS=200)
# Both servers pinned to CPU 0 (1 IO thread each), the Node client to CPU 1.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
requests=${REQUESTS:-200} up=${PORT:-8030} proxy=$((${PORT:-8030} + 1))
data=$(mktemp -d)
trap 'kill $upstream $relay 2>/dev/null; rm -rf "$data"' EXIT
common=(--workers 1 --compute-threads 1 --job-workers 0 --log-level warn)
taskset -c 0 "$build/sluice" serve --port "$up" --data-dir "$data/up" "${common[@]}" >/dev/null 2>&1 & upstream=$!
taskset -c 0 "$build/sluice" serve --port "$proxy" --data-dir "$data/proxy" "${common[@]}" \
  --provider-url "http://127.0.0.1:$up/v1" --model sluice-extractive --embedding-model sluice-embed \
  >/dev/null 2>&1 & relay=$!
for port in "$up" "$proxy"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
done
for concurrency in 1 8; do
  for target in direct proxied; do
    port=$up
    [ "$target" = proxied ] && port=$proxy
    node "$root/bench/chat_stream.mjs" "http://127.0.0.1:$port" 20 "$concurrency" >/dev/null  # warm-up
    echo "$target: $(taskset -c 1 node "$root/bench/chat_stream.mjs" "http://127.0.0.1:$port" "$requests" "$concurrency")"
  done
done

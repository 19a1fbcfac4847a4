#!/usr/bin/env bash
# User-space instructions per GET /health, counted by callgrind: repeatable where wall-clock
# and CPU-time measurements on a shared VM are not (valgrind counts instructions, not time).
#   bench/health_instructions.sh [path/to/sluice]
#   SERVER="build/release/sluice-stack-bench full" bench/health_instructions.sh   (any server
#   taking the port as its last argument)
# Runs the server under callgrind twice (1,000 and 4,000 keep-alive requests from one client)
# and prints the difference per request, so start-up and shutdown cancel out.
#   TARGET="/generate?prompt=hello" bench/health_instructions.sh   (another GET route; default /health)
#   SERVE_ARGS="--context-url http://127.0.0.1:9000/context"   (more `sluice serve` flags; here
#   /generate through a context API started beforehand: build/release/sluice-context-api 9000 0)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/release/sluice}
port=${PORT:-8011}
target=${TARGET:-/health}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

client() {
  /usr/bin/python3 - "$port" "$1" "$target" <<'PY'
import http.client, sys
port, n, target = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", target); c.getresponse().read()
PY
}

count() { # requests → total instructions
  if [ -n "${SERVER:-}" ]; then
    # shellcheck disable=SC2086 # SERVER is a command with arguments
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" $SERVER "$port" >/dev/null 2>&1 &
  else
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" "$binary" serve --port "$port" \
      --data-dir "$work/data" --log-level warn --job-workers 0 --workers 1 --compute-threads 1 ${SERVE_ARGS:-} >/dev/null 2>&1 &
  fi
  local pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
  client "$1"
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  callgrind_annotate "$work/cg.$1" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

small=$(count 1000)
large=$(count 4000)
echo "instructions per GET $target (user space): $(( (large - small) / 3000 ))"

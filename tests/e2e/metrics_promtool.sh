#!/usr/bin/env bash
# /metrics after some traffic, checked by Prometheus's own linter (promtool, Debian `prometheus`).
# Usage: metrics_promtool.sh path/to/sluice
set -euo pipefail
binary=$1
dir=$(mktemp -d)
out="$dir/stdout"
"$binary" serve --host 127.0.0.1 --port 0 --data-dir "$dir/data" --log-level warn >"$out" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do grep -q listening "$out" && break; sleep 0.05; done
base=$(grep -o 'http://[0-9.:]*' "$out")
curl -fs "$base/health" >/dev/null
curl -s "$base/missing" >/dev/null
curl -fs -X POST "$base/jobs/demo?documents=10" >/dev/null
curl -fs "$base/metrics" >"$dir/metrics"
grep -q 'sluice_http_requests_total{route="/health",method="GET",status="200"} 1' "$dir/metrics"
promtool check metrics <"$dir/metrics"
echo "promtool: /metrics is valid ($(grep -c '^sluice' "$dir/metrics") samples)"

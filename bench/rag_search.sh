#!/usr/bin/env bash
# Datasets end to end on one BEIR folder: ingestion (upload + process, documents/s, chunks/s,
# the server's peak RSS), retrieval quality per mode (sluice eval), then search latency and
# throughput under wrk: one client, and 16 concurrent clients.
#   flock /tmp/sluice-build.lock bench/rag_search.sh [BEIR_DIR]   (default ../shared/datasets/scifact)
# BUILD (default build/ci), DURATION (default 10s), PORT, MODE (search mode for wrk, default hybrid).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/ci}
beir=${1:-$root/../shared/datasets/scifact}
duration=${DURATION:-10s} port=${PORT:-8031} mode=${MODE:-hybrid}
data=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT

"$build/sluice" serve --port "$port" --data-dir "$data" --log-level warn >/dev/null 2>&1 & server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

echo "== sluice eval --beir $beir"
"$build/sluice" eval --url "http://127.0.0.1:$port" --beir "$beir" --fusion both | tee "$data/eval.txt"
echo "server peak RSS: $(awk '/VmHWM/{printf "%.0f MiB", $2/1024}' /proc/$server/status)"
dataset=$(grep -o '^dataset [0-9]*' "$data/eval.txt" | awk '{print $2}')

# wrk cycles through the data set's queries.
python3 - "$beir/queries.jsonl" "$data/search.lua" "$dataset" "$mode" <<'PY'
import json, sys
queries = [json.loads(line)["text"] for line in open(sys.argv[1]) if line.strip()][:500]
with open(sys.argv[2], "w") as out:
    out.write("local bodies = {\n")
    for q in queries:
        body = json.dumps({"query": q, "k": 10, "mode": sys.argv[4]})
        out.write("  %s,\n" % json.dumps(body))
    out.write("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n")
    out.write("  return wrk.format('POST', '/datasets/%s/search', {['Content-Type'] = 'application/json'}, bodies[(i %% #bodies) + 1])\nend\n" % sys.argv[3])
PY
echo "== search ($mode, k 10): clients,requests_per_s,p50,p99,non_2xx"
for clients in 1 16; do
  wrk -t1 -c"$clients" -d2s -s "$data/search.lua" "http://127.0.0.1:$port" >/dev/null
  wrk -t1 -c"$clients" -d"$duration" --latency -s "$data/search.lua" "http://127.0.0.1:$port" |
    awk -v c="$clients" '/Requests\/sec/{r=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{e=$NF}
      END {printf "%d,%.0f,%s,%s,%d\n", c, r, p50, p99, e}'
done
echo "server peak RSS after the load: $(awk '/VmHWM/{printf "%.0f MiB", $2/1024}' /proc/$server/status)"

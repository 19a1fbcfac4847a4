#!/usr/bin/env bash
# 100 MB of DOCX files uploaded to a dataset through the server, ten files per multipart/form-data
# request (issue 26's floor: anonymous memory growth ≤ 64 MB). Reports the server's RssAnon
# before the first upload and its highest value after each request.
#   bench/document_ingest.sh [build dir=build/ci] [total MiB=100] [MiB per file=2]
set -euo pipefail
build=${1:-build/ci} total=${2:-100} per_file=${3:-2} port=${PORT:-8032}
data=$(mktemp -d) files=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data" "$files"' EXIT
"$build/sluice-document-extract-bench" write-docx "$files" "$total" "$per_file"
"$build/sluice" serve --port "$port" --data-dir "$data" --log-level warn >/dev/null 2>&1 & server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
id=$(curl -fs -H 'Content-Type: application/json' -d '{"name":"docx"}' "http://127.0.0.1:$port/datasets" |
     python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
anon() { awk '/RssAnon/{print $2}' /proc/$server/status; }
before=$(anon) peak=$before start=$(date +%s.%N)
mapfile -t all < <(ls "$files"/*.docx)
for ((i = 0; i < ${#all[@]}; i += 10)); do
  form=()
  for f in "${all[@]:i:10}"; do form+=(-F "files=@$f;type=application/vnd.openxmlformats-officedocument.wordprocessingml.document"); done
  curl -fs -o /dev/null "${form[@]}" "http://127.0.0.1:$port/datasets/$id/documents"
  now=$(anon); [ "$now" -gt "$peak" ] && peak=$now
done
end=$(date +%s.%N)
bytes=$(du -cb "$files"/*.docx | tail -1 | cut -f1)
documents=$(curl -fs "http://127.0.0.1:$port/datasets/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])')
awk -v b="$bytes" -v n="${#all[@]}" -v d="$documents" -v s="$start" -v e="$end" -v a="$before" -v p="$peak" 'BEGIN {
  printf "%d files, %.1f MiB of DOCX, %d documents stored in %.1f s; server RssAnon %.1f → %.1f MiB: growth %.1f MiB\n",
         n, b / 1048576, d, e - s, a / 1024, p / 1024, (p - a) / 1024 }'

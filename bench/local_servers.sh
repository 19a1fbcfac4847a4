# Sourced by bench/local_models.sh and bench/local_streams_ab.sh: one server at a time on $port,
# Sluice's local provider or llama-server, same model file ($model) and llama.cpp threads
# ($threads), pinned to $server_cpus. Expects root, build, model, threads, port, server_cpus, data.
llama_server=$root/.deps/llama-server-build/bin/llama-server
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT

wait_ready() {
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/v1/models" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }

start_sluice() {  # $1: --model or --embedding-model
  taskset -c "$server_cpus" "$build/sluice" serve --port "$port" --workers 1 --compute-threads 1 --job-workers 0 \
    --data-dir "$data" --log-level warn "$1" "stories=$model" --model-threads "$threads" --parallel 16 \
    --ctx-size 512 --model-batch-tokens 512 >/dev/null 2>&1 & server=$!
  wait_ready
}
start_llama() {  # $@: extra flags
  taskset -c "$server_cpus" "$llama_server" --port "$port" -m "$model" -a stories -t "$threads" -tb "$threads" \
    -c $((512 * 16)) -b 512 -ub 512 --log-disable "$@" >/dev/null 2>&1 & server=$!
  wait_ready
}

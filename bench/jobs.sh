#!/usr/bin/env bash
# Durable jobs against Celery 5 + Redis, in one sitting: no-op jobs, 2 workers each, a Redis
# with append-only persistence (fsync every second) for both Redis runs.
#   bench/jobs.sh         (after `scripts/setup --bench` and a release build; JOBS=20000)
# Output: backend,jobs,workers,jobs_per_s,latency_p50_ms,latency_p99_ms  then the ratios.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/release}
jobs=${JOBS:-20000} workers=2 port=${REDIS_PORT:-6399}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync everysec \
  --save "" --daemonize no --loglevel warning >/dev/null & pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

out="$work/results.csv"
echo "backend,jobs,workers,jobs_per_s,latency_p50_ms,latency_p99_ms"
"$build/sluice-jobs-bench" "$work/jobs.db" "$jobs" "$workers" | tee -a "$out"
"$build/sluice-jobs-bench" "redis://127.0.0.1:$port" "$jobs" "$workers" | tee -a "$out"
redis-cli -p "$port" flushall >/dev/null

export CELERY_BROKER="redis://127.0.0.1:$port/0" CELERY_WORKERS=$workers
cd "$root/bench"
/usr/bin/python3 -m celery -A celery_bench worker --concurrency "$workers" --pool prefork --loglevel WARNING \
  --without-gossip --without-mingle --without-heartbeat >"$work/celery.log" 2>&1 & pids+=($!)
sleep 3
/usr/bin/python3 celery_bench.py "$CELERY_BROKER" "$jobs" | tee -a "$out"

awk -F, '{rps[$1]=$4; p50[$1]=$5}
  END {
    printf "sqlite/celery jobs/s %.1fx, redis/celery jobs/s %.1fx (floor 10x)\n", rps["sluice-sqlite"]/rps["celery-redis"], rps["sluice-redis"]/rps["celery-redis"]
  }' "$out"

"""Celery 5 with a Redis broker doing the same no-op jobs as bench/jobs_bench.cpp.

    python3 celery_bench.py REDIS_URL JOBS      (a worker must be running: see bench/jobs.sh)

Prints: celery-redis,JOBS,WORKERS,jobs_per_s,latency_p50_ms,latency_p99_ms
"""
import os
import sys
import time

import redis
from celery import Celery

BROKER = os.environ.get("CELERY_BROKER", "redis://127.0.0.1:6399/0")
app = Celery("celery_bench", broker=BROKER)
app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=4, task_acks_late=True,
                broker_connection_retry_on_startup=True)
store = redis.Redis.from_url(BROKER)


@app.task(name="noop")
def noop(t_us, measure):
    if measure:
        store.rpush("bench:latency", (time.time() * 1e6 - t_us) / 1000.0)
    store.incr("bench:done")


def main():
    jobs = int(sys.argv[2])
    workers = os.environ.get("CELERY_WORKERS", "2")
    store.delete("bench:done", "bench:latency")
    start = time.monotonic()
    for _ in range(jobs):
        noop.delay(time.time() * 1e6, False)
    while int(store.get("bench:done") or 0) < jobs:
        time.sleep(0.005)
    seconds = time.monotonic() - start
    paced = 300
    for _ in range(paced):
        noop.delay(time.time() * 1e6, True)
        time.sleep(0.01)
    while int(store.get("bench:done") or 0) < jobs + paced:
        time.sleep(0.005)
    latencies = sorted(float(x) for x in store.lrange("bench:latency", 0, -1))
    pct = lambda p: latencies[int(p * (len(latencies) - 1))]
    print(f"celery-redis,{jobs},{workers},{jobs / seconds:.0f},{pct(0.5):.2f},{pct(0.99):.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Workers over HTTP: no-op jobs enqueued over HTTP and run by Python reference workers
(clients/python/sluice_worker.py), optionally against Celery 5 on the same Redis in one sitting.

  python3 bench/http_workers.py [--binary build/ci/sluice] [--jobs 10000] [--workers 2] [--claim 50]
                                [--redis | --redis-url URL] [--celery]

--redis starts a redis-server on a free loopback port (append-only, fsync every second, as
bench/jobs.sh runs it) and removes it after; --redis-url uses one that runs (it is flushed).
Neither: the server's SQLite store. --celery (needs Redis): first Celery 5 — bench/celery_bench.py
with `celery worker --concurrency WORKERS --pool prefork`, as bench/jobs.sh runs it — then Sluice
on the same Redis, and the ratio.

Sluice's figure: jobs/s from the first enqueue to the last completion, the jobs enqueued with
POST /jobs/batch (1,000 a request, enqueue_many) while the workers, claiming --claim at a time,
run them; each worker counts the completions the server accepted. Then the idle latency: one
worker waiting in a long-poll, 200 jobs enqueued one at a time, p50/p99 of started_at -
created_at (the store's own clock)."""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT_DIR = os.path.join(ROOT, "clients", "python")
sys.path.insert(0, CLIENT_DIR)
from sluice_worker import enqueue, enqueue_many  # noqa: E402

# A reference worker that prints the running count of completions the server accepted.
WORKER = r"""
import sys; sys.path.insert(0, sys.argv[1])
from sluice_worker import Worker
class Counting(Worker):
    done = 0
    def _complete(self, done):
        n = len(done)
        super()._complete(done)
        Counting.done += n
        if n: sys.stdout.write("%d\n" % Counting.done); sys.stdout.flush()
w = Counting(sys.argv[2], batch=int(sys.argv[3]), wait_ms=5000)
@w.task("noop")
def noop(payload, job): return None
print("ready", flush=True); w.run()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_command(url, *words):
    host, port = re.match(r"redis://([^:/]+):(\d+)", url).groups()
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(("*%d\r\n" % len(words) + "".join("$%d\r\n%s\r\n" % (len(w), w) for w in words)).encode())
        return s.recv(64)


def start_redis(work):
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", work,
                                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                                "--daemonize", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL)
    url = "redis://127.0.0.1:%d" % port
    for _ in range(100):
        try:
            if redis_command(url, "PING").startswith(b"+PONG"):
                return process, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def run_celery(redis_url, jobs, workers, work):
    broker = redis_url + "/0"
    env = {**os.environ, "CELERY_BROKER": broker, "CELERY_WORKERS": str(workers)}
    bench = os.path.join(ROOT, "bench")
    with open(os.path.join(work, "celery.log"), "w") as log:
        worker = subprocess.Popen(["/usr/bin/python3", "-m", "celery", "-A", "celery_bench", "worker", "--concurrency",
                                   str(workers), "--pool", "prefork", "--loglevel", "WARNING", "--without-gossip",
                                   "--without-mingle", "--without-heartbeat"], cwd=bench, env=env, stdout=log,
                                  stderr=log)
    try:
        time.sleep(3)  # as bench/jobs.sh: the prefork pool starts
        out = subprocess.run(["/usr/bin/python3", "celery_bench.py", broker, str(jobs)], cwd=bench, env=env,
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    finally:
        worker.terminate()
        worker.wait(30)
    fields = out.split(",")  # celery-redis,JOBS,WORKERS,jobs_per_s,p50_ms,p99_ms
    return float(fields[3]), float(fields[4]), float(fields[5])


class Workers:
    """Reference worker processes; `done()` is the completions they have had accepted."""

    def __init__(self, base, count, claim):
        self.counts = [0] * count
        self.processes = []
        for i in range(count):
            p = subprocess.Popen([sys.executable, "-c", WORKER, CLIENT_DIR, base, str(claim)],
                                 stdout=subprocess.PIPE, text=True)
            assert p.stdout.readline().strip() == "ready"
            self.processes.append(p)
            threading.Thread(target=self._follow, args=(i, p), daemon=True).start()

    def _follow(self, i, process):
        for line in process.stdout:
            self.counts[i] = int(line)

    def done(self):
        return sum(self.counts)

    def stop(self):
        for p in self.processes:
            p.kill()
            p.wait()


def get(base, path):
    import json
    with urllib.request.urlopen(base + path) as response:
        return json.loads(response.read())


def run_sluice(args, redis_url, work):
    flags = ["--redis-url", redis_url] if redis_url else []
    server = subprocess.Popen([args.binary, "serve", "--port", "0", "--data-dir", os.path.join(work, "data"),
                               "--log-level", "warn", *flags], stdout=subprocess.PIPE, text=True)
    base = "http://127.0.0.1:" + re.search(r":(\d+)$", server.stdout.readline().strip()).group(1)
    workers = None
    try:
        workers = Workers(base, args.workers, args.claim)
        begin = time.monotonic()
        enqueue_many(base, [{"type": "noop"}] * args.jobs)
        while workers.done() < args.jobs:
            time.sleep(0.001)
        seconds = time.monotonic() - begin
        workers.stop()
        workers = Workers(base, 1, 1)
        latencies = []
        for _ in range(200):
            id = enqueue(base, "noop")["id"]
            while (job := get(base, "/jobs/" + id))["state"] != "succeeded":
                time.sleep(0.002)
            latencies.append(job["started_at"] - job["created_at"])
        latencies.sort()
        return args.jobs / seconds, seconds, latencies[100], latencies[197]
    finally:
        if workers:
            workers.stop()
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build/ci/sluice"))
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--claim", type=int, default=50, help="jobs one claim takes")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--redis", action="store_true", help="start a redis-server on a free port")
    store.add_argument("--redis-url", help="a running Redis (flushed)")
    parser.add_argument("--celery", action="store_true", help="run Celery 5 on the same Redis first")
    args = parser.parse_args()
    if args.celery and not (args.redis or args.redis_url):
        parser.error("--celery needs --redis or --redis-url")

    work = tempfile.mkdtemp(prefix="sluice-http-workers-bench-")
    redis = None
    try:
        redis_url = args.redis_url
        if args.redis:
            redis, redis_url = start_redis(work)
        celery = None
        if args.celery:
            redis_command(redis_url, "FLUSHALL")
            celery = run_celery(redis_url, args.jobs, args.workers, work)
            print("celery: %d no-op jobs, %d prefork workers: %.0f jobs/s; paced enqueue->run p50 %.2f ms, p99 %.2f ms"
                  % (args.jobs, args.workers, *celery))
        if redis_url:
            redis_command(redis_url, "FLUSHALL")
        rate, seconds, p50, p99 = run_sluice(args, redis_url, work)
        print("sluice (%s): %d no-op jobs over HTTP, %d Python workers claiming %d at a time: %.0f jobs/s (%.2f s)"
              % ("redis" if redis_url else "sqlite", args.jobs, args.workers, args.claim, rate, seconds))
        print("sluice idle enqueue->start: p50 %d ms, p99 %d ms (200 jobs, one at a time)" % (p50, p99))
        if celery:
            print("sluice/celery jobs/s: %.1fx (floor 3x)" % (rate / celery[0]))
    finally:
        if redis:
            redis.terminate()
            redis.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

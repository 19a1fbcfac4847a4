#!/usr/bin/env python3
"""Workers over HTTP: no-op jobs enqueued over HTTP and run by Python reference workers.
  python3 bench/http_workers.py [SLUICE_BINARY] [JOBS] [WORKERS]   (defaults build/ci/sluice, 10000, 2)
Prints: jobs/s from the first enqueue to the last completion (enqueued in batches of requests
from 8 threads while the workers run), then the idle latency: 200 jobs enqueued one at a time
with an idle worker waiting, p50/p99 of started_at - created_at (the store's own clock)."""

import json, os, re, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/ci/sluice")
jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
WORKER = r"""
import sys; sys.path.insert(0, sys.argv[1])
from sluice_worker import Worker
w = Worker(sys.argv[2], batch=int(sys.argv[3]), wait_ms=5000)
@w.task("noop")
def noop(payload, job): return None
print("ready", flush=True); w.run()
"""

def post(base, path, body):
    r = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(r) as resp: return json.loads(resp.read())

def get(base, path):
    with urllib.request.urlopen(base + path) as resp: return json.loads(resp.read())

data = tempfile.mkdtemp()
server = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", data, "--log-level", "warn"],
                          stdout=subprocess.PIPE, text=True)
base = "http://127.0.0.1:" + re.search(r":(\d+)$", server.stdout.readline().strip()).group(1)
procs = []
try:
    def start(batch):
        p = subprocess.Popen([sys.executable, "-c", WORKER, os.path.join(ROOT, "clients/python"), base, str(batch)],
                             stdout=subprocess.PIPE, text=True)
        p.stdout.readline(); procs.append(p)
    for _ in range(workers): start(50)
    begin = time.time()
    def enqueue(count):
        for _ in range(count): post(base, "/jobs", {"type": "noop"})
    threads = [threading.Thread(target=enqueue, args=(jobs // 8,)) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    while get(base, "/jobs?state=succeeded&type=noop&limit=1&offset=%d" % (jobs // 8 * 8 - 1))["jobs"] == []:
        time.sleep(0.05)
    elapsed = time.time() - begin
    print("%d no-op jobs over HTTP, %d Python workers (claiming 50 at a time): %.0f jobs/s (%.2f s)"
          % (jobs // 8 * 8, workers, jobs // 8 * 8 / elapsed, elapsed))
    for p in procs: p.kill()
    procs.clear(); start(1)
    lat = []
    for _ in range(200):
        id = post(base, "/jobs", {"type": "noop"})["id"]
        while (j := get(base, "/jobs/" + id))["state"] != "succeeded": time.sleep(0.002)
        lat.append(j["started_at"] - j["created_at"])
    lat.sort()
    print("idle enqueue->start: p50 %d ms, p99 %d ms (200 jobs, one at a time)" % (lat[100], lat[197]))
finally:
    for p in procs: p.kill()
    server.terminate(); server.wait()

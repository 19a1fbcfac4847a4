#!/usr/bin/env python3
"""Workers over HTTP, end to end: `sluice serve` and the Python reference worker
(clients/python/sluice_worker.py) as real processes on loopback.
  http_workers_test.py SLUICE_BINARY
Checks: jobs enqueued over HTTP run on two workers with their results; a task that raises is
retried, Permanent fails at once; kill -9 of a worker mid-job hands the job to another worker
after the lease, and the result is recorded once; stale lease tokens get 409; the server's own
job types cannot be enqueued or claimed."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import call, wait_for  # noqa: E402
CLIENT_DIR = os.path.join(ROOT, "clients", "python")

WORKER = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
from sluice_worker import Worker, Permanent
worker = Worker(sys.argv[2], lease_ms=int(sys.argv[3]), wait_ms=200, batch=5, name=sys.argv[4])

@worker.task("square")
def square(payload, job):
    return {"square": payload["n"] * payload["n"], "by": worker.name}

@worker.task("slow")
def slow(payload, job):
    with open(payload["marker"], "a") as out:
        out.write(worker.name + "\n")
    for i in range(int(payload["steps"])):
        time.sleep(0.1)
        job.progress((i + 1) / payload["steps"])
    return {"done_by": worker.name}

@worker.task("flaky")
def flaky(payload, job):
    raise RuntimeError("attempt %d failed" % job.attempt)

@worker.task("doomed")
def doomed(payload, job):
    raise Permanent("never works")

print("worker ready", flush=True)
worker.run()
"""


def start_worker(base, lease_ms, name):
    process = subprocess.Popen([sys.executable, "-c", WORKER, CLIENT_DIR, base, str(lease_ms), name],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "worker ready"
    return process


def main():
    binary = sys.argv[1]
    data = tempfile.mkdtemp(prefix="sluice-http-workers-")
    server = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", data, "--log-level", "warn",
                               "--job-lease-ms", "1500"], stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        port = re.search(r":(\d+)$", server.stdout.readline().strip()).group(1)
        base = "http://127.0.0.1:" + port
        job = lambda id: call(base, "GET", "/jobs/" + id)

        # The server's own types stay the server's.
        call(base, "POST", "/jobs", {"type": "build_embeddings", "payload": {"dataset_id": 1}}, expect=422)
        call(base, "POST", "/jobs/claim", {"types": ["openai_batch"]}, expect=422)
        call(base, "POST", "/jobs", {"type": "square", "queue": "fast"}, expect=422)

        # Fifty jobs over two workers, each with its own result.
        ids = [call(base, "POST", "/jobs", {"type": "square", "payload": {"n": n}}, expect=201)["id"]
               for n in range(50)]
        again = call(base, "POST", "/jobs", {"type": "square", "payload": {"n": 7}, "unique_key": "seven"}, expect=201)
        assert call(base, "POST", "/jobs", {"type": "square", "payload": {"n": 8}, "unique_key": "seven"},
                    expect=201)["id"] == again["id"], "a repeated unique_key returns the first job"
        workers = [start_worker(base, 3000, "w1"), start_worker(base, 3000, "w2")]
        for n, id in enumerate(ids):
            done = wait_for("job %d" % n, lambda: (lambda j: j if j["state"] == "succeeded" else None)(job(id)))
            assert done["result"]["square"] == n * n, done
            assert done["attempts"] == 1, done

        # A failing task is retried while attempts remain; Permanent fails it at once.
        flaky = call(base, "POST", "/jobs", {"type": "flaky", "max_attempts": 2}, expect=201)["id"]
        doomed = call(base, "POST", "/jobs", {"type": "doomed", "max_attempts": 3}, expect=201)["id"]
        failed = wait_for("flaky", lambda: (lambda j: j if j["state"] == "failed" else None)(job(flaky)), 60)
        assert failed["attempts"] == 2 and "attempt 2 failed" in failed["last_error"], failed
        failed = wait_for("doomed", lambda: (lambda j: j if j["state"] == "failed" else None)(job(doomed)))
        assert failed["attempts"] == 1 and "never works" in failed["last_error"], failed
        for w in workers:
            w.terminate()
            w.wait(10)

        # kill -9 mid-job: after the lease, another worker takes the job; one result is recorded.
        marker = os.path.join(data, "slow-runs.txt")
        slow = call(base, "POST", "/jobs", {"type": "slow", "payload": {"steps": 15, "marker": marker}},
                    expect=201)["id"]
        first = start_worker(base, 1500, "first")
        workers = [first]
        wait_for("the slow job to make progress", lambda: job(slow)["progress"] > 0.2)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = start_worker(base, 1500, "second")
        workers.append(second)
        done = wait_for("the slow job", lambda: (lambda j: j if j["state"] == "succeeded" else None)(job(slow)), 60)
        assert done["result"] == {"done_by": "second"}, done
        assert done["attempts"] == 2, done
        assert open(marker).read().split() == ["first", "second"], "each attempt ran once"

        # Stale and wrong tokens are fenced off.
        call(base, "POST", "/jobs/%s/complete" % slow, {"lease_token": "stale", "result": 1}, expect=409)
        call(base, "POST", "/jobs/%s/heartbeat" % slow, {"lease_token": "stale"}, expect=409)
        call(base, "POST", "/jobs/no-such-job/complete", {"lease_token": "x"}, expect=404)
        assert job(slow)["result"] == {"done_by": "second"}
        print("http workers: ok")
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main()

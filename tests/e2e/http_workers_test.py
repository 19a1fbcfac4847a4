#!/usr/bin/env python3
"""Workers over HTTP, end to end: `sluice serve` and the Python reference worker
(clients/python/sluice_worker.py) as real processes on loopback.
  http_workers_test.py SLUICE_BINARY
Checks: jobs enqueued over HTTP run on two workers with their results (and the worker's name);
a task that raises is retried, Permanent fails at once; kill -9 of a worker mid-job hands the job
to another worker after the lease, and the result is recorded once; stale lease tokens get 409;
the server's own job types cannot be enqueued or claimed. The protocol itself: unknown fields are
a 422 naming them; claims take from the queues they name; /fail retries with exponential backoff
and jitter; an attempt past its timeout_ms is fenced off and retried; a heartbeat without
lease_ms renews by the claimed length. The Python worker: renews every job of a claimed batch,
stops with the server's message on 403/422 instead of retrying, cuts an over-long error to the
server's limit, and reports a batch's successes together (POST /jobs/complete)."""

import json
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
sys.path.insert(0, CLIENT_DIR)

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

@worker.task("nap")
def nap(payload, job):
    time.sleep(payload["seconds"])  # no progress calls: only the worker's renewals keep the lease
    return {"napped": payload["seconds"]}

@worker.task("verbose")
def verbose(payload, job):
    raise RuntimeError("\u00e9" * 20000)  # 40,000 UTF-8 bytes: four times the server's limit

print("worker ready", flush=True)
worker.run()
"""


# A worker whose claim the server refuses (`types` and the key come from the command line).
REFUSED_WORKER = r"""
import json, logging, sys
logging.basicConfig()
sys.path.insert(0, sys.argv[1])
from sluice_worker import Worker, SluiceError
worker = Worker(sys.argv[2], api_key=sys.argv[4] or None, wait_ms=200)
for name in json.loads(sys.argv[3]):
    worker.task(name)(lambda payload, job: None)
try:
    worker.run()
except SluiceError as e:
    print("refused:", e, flush=True)
    sys.exit(3)
"""

BACKOFF_MS = 100  # the server's --job-backoff-ms


def start_worker(base, lease_ms, name):
    process = subprocess.Popen([sys.executable, "-c", WORKER, CLIENT_DIR, base, str(lease_ms), name],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "worker ready"
    return process


def start_server(binary, data, *flags, env=None):
    server = subprocess.Popen([binary, "serve", "--port", "0", "--data-dir", data, "--log-level", "warn",
                               "--job-lease-ms", "1500", "--job-backoff-ms", str(BACKOFF_MS), *flags],
                              stdout=subprocess.PIPE, text=True, env=env)
    port = re.search(r":(\d+)$", server.stdout.readline().strip()).group(1)
    return server, "http://127.0.0.1:" + port


def refused_worker(base, types, api_key=""):
    """Runs a worker the server refuses; returns what it printed. It must stop, not retry."""
    done = subprocess.run([sys.executable, "-c", REFUSED_WORKER, CLIENT_DIR, base, json.dumps(types), api_key],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    return done.stdout + done.stderr


def claim_one(base, type, **fields):
    claimed = call(base, "POST", "/jobs/claim", {"types": [type], "max": 1, **fields})["jobs"]
    return claimed[0] if claimed else None


def check_unknown_fields_are_refused(base):
    for path, body in [("/jobs/claim", {"types": ["t"], "queue": "images"}),
                       ("/jobs", {"type": "t", "backoff": 5}),
                       ("/jobs/x/heartbeat", {"lease_token": "x", "lease": 1000}),
                       ("/jobs/x/complete", {"lease_token": "x", "results": 1}),
                       ("/jobs/x/fail", {"lease_token": "x", "reason": "y"})]:
        detail = call(base, "POST", path, body, expect=422)["detail"]
        named = [d["loc"][-1] for d in detail if d["type"] == "extra_forbidden"]
        assert named == [next(k for k in body if k not in ("types", "type", "lease_token"))], (path, detail)


def check_queues_and_worker_name(base, job):
    image = call(base, "POST", "/jobs", {"type": "q_task", "queue": "images"}, expect=201)
    plain = call(base, "POST", "/jobs", {"type": "q_task"}, expect=201)
    assert (image["queue"], plain["queue"]) == ("images", "default")
    assert claim_one(base, "q_task", queues=["video"]) is None, "no job in that queue"
    taken = claim_one(base, "q_task", queues=["images"], worker="resizer-7")
    assert taken["id"] == image["id"] and taken["queue"] == "images", taken
    assert job(image["id"])["worker"] == "resizer-7"
    assert plain["worker"] is None, "a job nobody claimed has no worker"
    assert claim_one(base, "q_task")["id"] == plain["id"], "no queues: every queue"


def check_fail_backs_off_exponentially(base, job):
    """retry: the delay is backoff · 2^(attempt-1) · [0.5, 1.5), not one constant."""
    def fail_and_measure(claimed):
        call(base, "POST", "/jobs/%s/fail" % claimed["id"], {"lease_token": claimed["lease_token"], "error": "no"})
        j = job(claimed["id"])
        assert j["state"] == "retrying", j
        return j["run_at"] - j["updated_at"]

    ids = [call(base, "POST", "/jobs", {"type": "backoff", "max_attempts": 5}, expect=201)["id"] for _ in range(6)]
    first = [fail_and_measure(claim_one(base, "backoff")) for _ in ids]
    assert all(BACKOFF_MS * 0.5 - 2 <= d <= BACKOFF_MS * 1.5 + 2 for d in first), first
    assert len(set(first)) > 1, "jittered: %s" % first
    delays = []
    for attempt in (2, 3, 4):
        claimed = claim_one(base, "backoff", wait_ms=5000)
        assert claimed and claimed["attempt"] == attempt, claimed
        delays.append(fail_and_measure(claimed))
        for other in ids:  # the others are due too: take them out of the way
            if other != claimed["id"] and job(other)["state"] != "failed":
                call(base, "DELETE", "/jobs/" + other, expect=None)
    # Attempt 4 waits 8 · backoff · [0.5, 1.5): at least 4 · backoff, more than attempt 1 ever does.
    assert delays[2] >= BACKOFF_MS * 4 - 2, delays


def check_timeout_is_enforced(base, job):
    id = call(base, "POST", "/jobs", {"type": "hang", "timeout_ms": 1000, "max_attempts": 2}, expect=201)["id"]
    claimed = claim_one(base, "hang", lease_ms=60000)
    assert claimed["timeout_ms"] == 1000, claimed
    token = claimed["lease_token"]
    call(base, "POST", "/jobs/%s/heartbeat" % id, {"lease_token": token})
    time.sleep(1.2)
    call(base, "POST", "/jobs/%s/heartbeat" % id, {"lease_token": token}, expect=409)
    call(base, "POST", "/jobs/%s/complete" % id, {"lease_token": token, "result": 1}, expect=409)
    again = claim_one(base, "hang", wait_ms=5000)  # after the timed-out attempt's backoff
    assert again and again["id"] == id and again["attempt"] == 2, again
    assert job(id)["last_error"] == "timed out after 1000 ms", job(id)
    call(base, "POST", "/jobs/%s/complete" % id, {"lease_token": again["lease_token"], "result": 2})
    assert job(id)["result"] == 2


def check_heartbeat_keeps_the_claimed_lease(base):
    id = call(base, "POST", "/jobs", {"type": "leased"}, expect=201)["id"]
    claimed = claim_one(base, "leased", lease_ms=2000)
    renewed = call(base, "POST", "/jobs/%s/heartbeat" % id, {"lease_token": claimed["lease_token"]})
    assert renewed["lease_ms"] == 2000, renewed
    assert claim_one(base, "leased") is None, "still leased"
    time.sleep(2.4)  # past the claimed 2 s (a 30 s default would still hold it)
    taken = claim_one(base, "leased")
    assert taken and taken["id"] == id and taken["attempt"] == 2, taken


def check_python_worker_renews_its_whole_batch(base, job):
    naps = [call(base, "POST", "/jobs", {"type": "nap", "payload": {"seconds": 1.0}}, expect=201)["id"]
            for _ in range(3)]
    napper = start_worker(base, 1500, "napper")  # one claim takes all three: 3 s of work, 1.5 s leases
    try:
        wait_for("the first nap", lambda: job(naps[0])["state"] == "running")
        time.sleep(2.0)  # the third has waited longer than its lease, renewed all along
        assert claim_one(base, "nap", lease_ms=60000) is None, "a waiting job's lease ran out"
        for id in naps:
            done = wait_for("nap", lambda: (lambda j: j if j["state"] == "succeeded" else None)(job(id)))
            assert done["attempts"] == 1 and done["worker"] == "napper", done
    finally:
        napper.kill()
        napper.wait(10)


def check_batch_enqueue(base, job):
    from sluice_worker import enqueue_many, SluiceError
    stored = call(base, "POST", "/jobs/batch", {"jobs": [
        {"type": "batched", "payload": {"n": 0}},
        {"type": "batched", "payload": {"n": 1}, "queue": "images", "priority": 5, "max_attempts": 7},
        {"type": "batched", "unique_key": "batch-once"},
        {"type": "batched", "payload": {"n": 3}, "unique_key": "batch-once"}]}, expect=201)["jobs"]
    assert [j["payload"].get("n") for j in stored] == [0, 1, None, None], stored
    assert (stored[1]["queue"], stored[1]["priority"], stored[1]["max_attempts"]) == ("images", 5, 7), stored[1]
    assert stored[2]["id"] == stored[3]["id"], "a repeated unique_key in one batch is one job"
    assert job(stored[0]["id"])["state"] == "queued"
    count = lambda: len(call(base, "GET", "/jobs?type=batched&limit=100")["jobs"])
    before = count()
    # All validated before any is stored: one bad element refuses the whole batch, naming it.
    for bad, loc, kind in [({"type": ""}, ["body", "jobs", 1, "type"], "string_too_short"),
                           ({"type": "batched", "colour": 1}, ["body", "jobs", 1, "colour"], "extra_forbidden"),
                           ({"type": "openai_batch"}, ["body", "jobs", 1, "type"], "reserved_type")]:
        detail = call(base, "POST", "/jobs/batch", {"jobs": [{"type": "batched"}, bad]}, expect=422)["detail"]
        assert [(d["loc"], d["type"]) for d in detail] == [(loc, kind)], detail
    call(base, "POST", "/jobs/batch", {"jobs": []}, expect=422)
    call(base, "POST", "/jobs/batch", {"jobs": [{"type": "batched"}] * 1001}, expect=422)
    assert count() == before, "nothing stored from a refused batch"
    # The client splits past 1,000 a request.
    many = enqueue_many(base, [{"type": "batched_many", "payload": {"n": n}} for n in range(1500)])
    assert [j["payload"]["n"] for j in many] == list(range(1500)) and len({j["id"] for j in many}) == 1500
    try:
        enqueue_many(base, [{"type": "batched", "delay_ms": -1}])
        raise AssertionError("a refused batch raises")
    except SluiceError as e:
        assert e.status == 422 and "body.jobs.0.delay_ms" in str(e), e


def check_completions_together(base, job):
    ids = [j["id"] for j in call(base, "POST", "/jobs/batch", {"jobs": [{"type": "together"}] * 3}, expect=201)["jobs"]]
    claimed = call(base, "POST", "/jobs/claim", {"types": ["together"], "max": 3})["jobs"]
    assert sorted(c["id"] for c in claimed) == sorted(ids), claimed
    done = [{"id": c["id"], "lease_token": c["lease_token"], "result": {"n": i}} for i, c in enumerate(claimed)]
    stale = {"id": claimed[0]["id"], "lease_token": "stale", "result": 99}
    answer = call(base, "POST", "/jobs/complete", {"jobs": done[:2] + [stale]})
    assert answer == {"completed": 2, "lease_lost": 1}, answer
    assert job(claimed[0]["id"])["result"] == {"n": 0}, "a stale token changes nothing"
    assert job(claimed[2]["id"])["state"] == "running"
    again = call(base, "POST", "/jobs/complete", {"jobs": done})
    assert again == {"completed": 1, "lease_lost": 2}, "each result is recorded once: %s" % again
    call(base, "POST", "/jobs/complete", {"jobs": [{"id": "x", "lease_token": "y", "results": 1}]}, expect=422)


def main():
    binary = sys.argv[1]
    data = tempfile.mkdtemp(prefix="sluice-http-workers-")
    server, base = start_server(binary, data)
    keyed = None
    workers = []
    try:
        job = lambda id: call(base, "GET", "/jobs/" + id)

        check_unknown_fields_are_refused(base)
        check_batch_enqueue(base, job)
        check_completions_together(base, job)
        check_queues_and_worker_name(base, job)
        check_fail_backs_off_exponentially(base, job)
        check_timeout_is_enforced(base, job)
        check_heartbeat_keeps_the_claimed_lease(base)
        check_python_worker_renews_its_whole_batch(base, job)

        # Refusals stop the worker with the server's word, instead of a silent retry loop: 422
        # here (a type the server runs itself), 403 where keys are on and this one may not work.
        refusal = refused_worker(base, ["build_embeddings"])
        assert "HTTP 422" in refusal and "body.types.0 reserved_type" in refusal, refusal
        keys_data = tempfile.mkdtemp(prefix="sluice-http-workers-keys-")
        keyed, keyed_base = start_server(binary, keys_data, "--dataset-admin-keys", "admin-key",
                                         env={**os.environ, "SLUICE_API_KEYS": "user-key,admin-key"})
        refusal = refused_worker(keyed_base, ["square"], "user-key")
        assert "HTTP 403 forbidden" in refusal, refusal

        # The server's own types stay the server's.
        call(base, "POST", "/jobs", {"type": "build_embeddings", "payload": {"dataset_id": 1}}, expect=422)
        call(base, "POST", "/jobs/claim", {"types": ["openai_batch"]}, expect=422)
        call(base, "POST", "/jobs", {"type": "square", "queue": ""}, expect=422)

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
            assert done["worker"] == done["result"]["by"], "the job names the worker that ran it: %s" % done

        # A failing task is retried while attempts remain; Permanent fails it at once.
        flaky = call(base, "POST", "/jobs", {"type": "flaky", "max_attempts": 2}, expect=201)["id"]
        doomed = call(base, "POST", "/jobs", {"type": "doomed", "max_attempts": 3}, expect=201)["id"]
        failed = wait_for("flaky", lambda: (lambda j: j if j["state"] == "failed" else None)(job(flaky)), 60)
        assert failed["attempts"] == 2 and "attempt 2 failed" in failed["last_error"], failed
        failed = wait_for("doomed", lambda: (lambda j: j if j["state"] == "failed" else None)(job(doomed)))
        assert failed["attempts"] == 1 and "never works" in failed["last_error"], failed

        # An error past the server's 10,000-byte limit is cut by the worker, which lives on.
        verbose = call(base, "POST", "/jobs", {"type": "verbose", "max_attempts": 1}, expect=201)["id"]
        failed = wait_for("verbose", lambda: (lambda j: j if j["state"] == "failed" else None)(job(verbose)))
        error = failed["last_error"]
        assert error.startswith("RuntimeError: \u00e9") and 9990 <= len(error.encode()) <= 10000, len(error.encode())
        after = call(base, "POST", "/jobs", {"type": "square", "payload": {"n": 3}}, expect=201)["id"]
        wait_for("a job after the long error", lambda: job(after)["state"] == "succeeded")
        assert all(w.poll() is None for w in workers), "the workers survived the long error"
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
        for s in (server, keyed):
            if s:
                s.terminate()
                s.wait(15)


if __name__ == "__main__":
    main()

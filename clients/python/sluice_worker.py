"""A Sluice job worker in Python's standard library only: claim jobs over HTTP, run them, report.

    from sluice_worker import Worker

    worker = Worker("http://127.0.0.1:8000", api_key=None)

    @worker.task("resize")
    def resize(payload, job):
        job.progress(0.5, "halfway")      # also renews the lease
        return {"width": payload["width"] // 2}

    worker.run()                          # until SIGINT/SIGTERM or worker.stop()

Enqueue from anywhere: POST /jobs {"type": "resize", "payload": {...}}. Each claimed job is
leased; a background thread renews the leases of running jobs, so a worker that dies (kill -9)
loses its jobs to another worker once the lease runs out, and a result is recorded once: the
server fences complete/fail by the lease token (a stale one gets 409). A task that raises fails
its attempt (retried with backoff while attempts remain); raise Permanent to fail for good.
"""

import json
import signal
import socket
import threading
import urllib.error
import urllib.request


class Permanent(Exception):
    """Raised by a task: fail the job for good, without further attempts."""


class LeaseLost(Exception):
    """The job's lease went to another worker (this one was too slow, or the job was cancelled)."""


class Job:
    """What a task sees of its job: its id, attempt, and progress/cancellation."""

    def __init__(self, worker, claimed):
        self.id = claimed["id"]
        self.type = claimed["type"]
        self.attempt = claimed["attempt"]
        self.lease_token = claimed["lease_token"]
        self._worker = worker
        self.cancel_requested = False
        self.lease_lost = False

    def progress(self, fraction, message=""):
        """Records progress (0..1) and renews the lease; raises LeaseLost once the lease is gone."""
        self._worker._heartbeat(self, fraction, message)
        if self.lease_lost:
            raise LeaseLost(self.id)


class Worker:
    def __init__(self, url, api_key=None, batch=10, lease_ms=30000, wait_ms=10000, name=None, timeout=60):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.batch = batch
        self.lease_ms = lease_ms
        self.wait_ms = wait_ms
        self.name = name or "python:%s" % socket.gethostname()
        self.timeout = timeout
        self.tasks = {}
        self._stopping = threading.Event()
        self._running = {}  # job id -> Job, renewed by the heartbeat thread
        self._lock = threading.Lock()

    def task(self, name):
        """Decorator: registers fn(payload, job) -> result (any JSON value) for jobs of type `name`."""

        def register(fn):
            self.tasks[name] = fn
            return fn

        return register

    def stop(self):
        self._stopping.set()

    def run(self):
        """Claims and runs jobs until stop() (or SIGINT/SIGTERM in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        renewer = threading.Thread(target=self._renew_leases, daemon=True)
        renewer.start()
        while not self._stopping.is_set():
            try:
                claimed = self._post("/jobs/claim", {"types": sorted(self.tasks), "max": self.batch,
                                                     "lease_ms": self.lease_ms, "wait_ms": self.wait_ms,
                                                     "worker": self.name})["jobs"]
            except (urllib.error.URLError, OSError):
                self._stopping.wait(1.0)  # the server is restarting: try again shortly
                continue
            for item in claimed:
                if self._stopping.is_set():
                    break  # the rest go back when their leases expire
                self._run_one(Job(self, item), item["payload"])

    # The lease protocol -------------------------------------------------------------------

    def _run_one(self, job, payload):
        with self._lock:
            self._running[job.id] = job
        try:
            result = self.tasks[job.type](payload, job)
        except LeaseLost:
            return
        except Permanent as e:
            self._finish(job, "/fail", {"error": str(e) or "failed", "retry": False})
        except Exception as e:  # a task's failure fails its attempt, not the worker
            self._finish(job, "/fail", {"error": "%s: %s" % (type(e).__name__, e), "retry": True})
        else:
            self._finish(job, "/complete", {"result": result})
        finally:
            with self._lock:
                self._running.pop(job.id, None)

    def _finish(self, job, action, body):
        body["lease_token"] = job.lease_token
        if job.cancel_requested and action == "/fail":
            body["cancelled"] = True
        try:
            self._post("/jobs/%s%s" % (job.id, action), body)
        except urllib.error.HTTPError as e:
            if e.code != 409:  # 409: the lease went elsewhere; that worker records the outcome
                raise

    def _heartbeat(self, job, fraction=None, message=""):
        body = {"lease_token": job.lease_token, "lease_ms": self.lease_ms}
        if fraction is not None:
            body.update(progress=fraction, message=message)
        try:
            job.cancel_requested = self._post("/jobs/%s/heartbeat" % job.id, body)["cancel_requested"]
        except urllib.error.HTTPError as e:
            if e.code == 409:
                job.lease_lost = True
            else:
                raise

    def _renew_leases(self):
        while not self._stopping.wait(self.lease_ms / 3000.0):
            with self._lock:
                jobs = list(self._running.values())
            for job in jobs:
                try:
                    self._heartbeat(job)
                except (urllib.error.URLError, OSError):
                    pass  # the next round tries again; the lease covers a few misses

    def _post(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        if self.api_key:
            request.add_header("Authorization", "Bearer " + self.api_key)
        with urllib.request.urlopen(request, timeout=self.timeout + self.wait_ms / 1000.0) as response:
            return json.loads(response.read())

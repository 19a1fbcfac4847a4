"""A Sluice job worker in Python's standard library only: claim jobs over HTTP, run them, report.

    from sluice_worker import Worker

    worker = Worker("http://127.0.0.1:8000", api_key=None)

    @worker.task("resize")
    def resize(payload, job):
        job.progress(0.5, "halfway")      # also renews the lease
        return {"width": payload["width"] // 2}

    worker.run()                          # until SIGINT/SIGTERM or worker.stop()

Enqueue from anywhere: POST /jobs {"type": "resize", "payload": {...}}, or from Python:

    from sluice_worker import enqueue, enqueue_many
    enqueue("http://127.0.0.1:8000", "resize", {"width": 640})
    enqueue_many("http://127.0.0.1:8000", [{"type": "resize", "payload": {"width": w}} for w in widths])

Each claimed job is
leased; a background thread renews the leases of running jobs, so a worker that dies (kill -9)
loses its jobs to another worker once the lease runs out, and a result is recorded once: the
server fences complete/fail by the lease token (a stale one gets 409). A task that raises fails
its attempt (retried with backoff while attempts remain); raise Permanent to fail for good.

Successes of a claimed batch are reported together (POST /jobs/complete, at least every 10 ms)
over one keep-alive connection per thread.

A refusal that retrying cannot cure — 403 (the API key may not work jobs) or 422 (a field or job
type the server refuses) — is raised from run() as SluiceError with the server's message; it is
never retried in a loop.
"""

import http.client
import json
import logging
import os
import signal
import socket
import threading
import time
import urllib.parse

log = logging.getLogger("sluice_worker")

# The server's limits on the strings a worker sends (UTF-8 bytes); past them a report would be
# refused with 422, so they are cut here instead.
MAX_ERROR_BYTES = 10000
MAX_MESSAGE_BYTES = 2000
MAX_BATCH = 1000  # jobs one POST /jobs/batch takes


def truncate_utf8(text, limit):
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


class Permanent(Exception):
    """Raised by a task: fail the job for good, without further attempts."""


class LeaseLost(Exception):
    """The job's lease went to another worker (this one was too slow, or the job was cancelled)."""


class SluiceError(Exception):
    """A response from Sluice other than 2xx: `status`, and the server's `code` and `message`."""

    def __init__(self, status, body):
        self.status = status
        self.body = body if isinstance(body, dict) else {"message": str(body)}
        self.code = self.body.get("code")
        message = "HTTP %d %s: %s" % (status, self.code or "", self.body.get("message") or body)
        detail = self.body.get("detail")
        for issue in detail if isinstance(detail, list) else []:  # a 422 names each refused field and why
            message += "; %s %s: %s" % (".".join(str(part) for part in issue.get("loc", [])), issue.get("type"),
                                         issue.get("msg"))
        super().__init__(message)

    @property
    def is_transient(self):
        """The server's own failure (5xx): worth trying again; a 4xx is not."""
        return self.status >= 500


class Job:
    """What a task sees of its job: its id, attempt, and progress/cancellation."""

    def __init__(self, worker, claimed):
        self.id = claimed["id"]
        self.type = claimed["type"]
        self.attempt = claimed["attempt"]
        self.lease_token = claimed["lease_token"]
        self.payload = claimed["payload"]
        self._worker = worker
        self.cancel_requested = False
        self.lease_lost = False

    def progress(self, fraction, message=""):
        """Records progress (0..1) and renews the lease; raises LeaseLost once the lease is gone."""
        self._worker._heartbeat(self, fraction, truncate_utf8(str(message), MAX_MESSAGE_BYTES))
        if self.lease_lost:
            raise LeaseLost(self.id)


class Worker:
    """batch: jobs one claim may take (each one's lease is renewed until it has run); queues:
    the queues to take jobs from (None: every queue); name: shown as the job's `worker`."""

    def __init__(self, url, api_key=None, batch=10, lease_ms=30000, wait_ms=10000, name=None, timeout=60,
                 queues=None):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.batch = batch
        self.lease_ms = lease_ms
        self.wait_ms = wait_ms
        self.name = name or "python:%s:%d" % (socket.gethostname(), os.getpid())
        self.timeout = timeout
        self.queues = list(queues) if queues else None
        self.tasks = {}
        self._stopping = threading.Event()
        self._held = {}  # job id -> Job: every job claimed and not yet reported, renewed by the heartbeat thread
        self._lock = threading.Lock()
        self._fatal = None  # a refusal the heartbeat thread met: run() raises it

    def task(self, name):
        """Decorator: registers fn(payload, job) -> result (any JSON value) for jobs of type `name`."""

        def register(fn):
            self.tasks[name] = fn
            return fn

        return register

    def stop(self):
        self._stopping.set()

    def run(self):
        """Claims and runs jobs until stop() (or SIGINT/SIGTERM in the main thread). Raises
        SluiceError when the server refuses the worker (403, 422): retrying would not help."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        renewer = threading.Thread(target=self._renew_leases, daemon=True)
        renewer.start()
        claim = {"types": sorted(self.tasks), "max": self.batch, "lease_ms": self.lease_ms,
                 "wait_ms": self.wait_ms, "worker": self.name}
        if self.queues:
            claim["queues"] = self.queues
        try:
            while not self._stopping.is_set():
                try:
                    claimed = [Job(self, item) for item in self._post("/jobs/claim", claim)["jobs"]]
                except SluiceError as e:
                    if not e.is_transient:
                        log.error("sluice worker: the server refuses to give this worker jobs: %s", e)
                        raise
                    self._stopping.wait(1.0)
                    continue
                except OSError:  # no answer: the server is restarting; try again shortly
                    self._stopping.wait(1.0)
                    continue
                self._run_batch(claimed)
            if self._fatal:
                raise self._fatal
        finally:
            self._stopping.set()

    # The lease protocol -------------------------------------------------------------------

    def _run_batch(self, claimed):
        # Every claimed job is held from the start, so the heartbeat thread renews the leases
        # of those still waiting their turn, not only the running one's.
        with self._lock:
            for job in claimed:
                self._held[job.id] = job
        # Successes are reported together (POST /jobs/complete) at least every 10 ms, as
        # in-process workers do: a request per tiny job would cost more than the job.
        done = []
        flushed = time.monotonic()
        try:
            for job in claimed:
                if self._stopping.is_set():
                    break  # the rest go back when their leases expire
                result = self._run_one(job, job.payload)
                if result is not None:
                    done.append(result)
                if time.monotonic() - flushed > 0.01:
                    self._complete(done)
                    flushed = time.monotonic()
            self._complete(done)
        finally:
            with self._lock:
                for job in claimed:
                    self._held.pop(job.id, None)

    def _run_one(self, job, payload):
        """Runs one job: a success is returned, to be completed with others; any other outcome
        is reported at once."""
        try:
            result = self.tasks[job.type](payload, job)
            json.dumps(result)  # a result JSON cannot carry fails the attempt, not the report
        except LeaseLost:
            pass
        except Permanent as e:
            self._finish(job, "/fail", {"error": str(e) or "failed", "retry": False})
        except Exception as e:  # a task's failure fails its attempt, not the worker
            self._finish(job, "/fail", {"error": "%s: %s" % (type(e).__name__, e), "retry": True})
        else:
            if job.lease_lost:
                return None  # the job is another worker's: it records the outcome
            return {"id": job.id, "lease_token": job.lease_token, "result": result}
        with self._lock:
            self._held.pop(job.id, None)
        return None

    def _complete(self, done):
        """Completes the jobs in `done` in one request (a lost lease is another worker's now)."""
        if not done:
            return
        # A report lost to a network blip is repeated while the leases would still be ours; past
        # that the jobs run again elsewhere, and a late report would be refused anyway.
        deadline = time.monotonic() + self.lease_ms / 1000.0
        while True:
            try:
                self._post("/jobs/complete", {"jobs": done})
                break
            except SluiceError as e:
                if not e.is_transient or time.monotonic() > deadline:
                    log.error("sluice worker: the server refused %d completions: %s", len(done), e)
                    raise
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.5)
        with self._lock:
            for item in done:
                self._held.pop(item["id"], None)
        done.clear()

    def _finish(self, job, action, body):
        body["lease_token"] = job.lease_token
        if "error" in body:
            body["error"] = truncate_utf8(body["error"], MAX_ERROR_BYTES)
        if job.cancel_requested and action == "/fail":
            body["cancelled"] = True
        try:
            self._post("/jobs/%s%s" % (job.id, action), body)
        except SluiceError as e:
            if e.status == 409:  # the lease went elsewhere; that worker records the outcome
                return
            log.error("sluice worker: job %s: the server refused the report: %s", job.id, e)
            raise

    def _heartbeat(self, job, fraction=None, message=""):
        body = {"lease_token": job.lease_token, "lease_ms": self.lease_ms}
        if fraction is not None:
            body.update(progress=fraction, message=message)
        try:
            job.cancel_requested = self._post("/jobs/%s/heartbeat" % job.id, body)["cancel_requested"]
        except SluiceError as e:
            if e.status != 409:
                raise
            job.lease_lost = True

    def _renew_leases(self):
        while not self._stopping.wait(self.lease_ms / 3000.0):
            with self._lock:
                jobs = list(self._held.values())
            for job in jobs:
                try:
                    self._heartbeat(job)
                except SluiceError as e:
                    if e.is_transient:
                        continue  # the next round tries again; the lease covers a few misses
                    # Refused (e.g. the key lost its rights): stop rather than fail silently each round.
                    log.error("sluice worker: the server refuses to renew job %s: %s", job.id, e)
                    self._fatal = e
                    self._stopping.set()
                    return
                except OSError:
                    pass  # unreachable: the next round tries again
                except Exception:  # a bug here must not end the renewals silently
                    log.exception("sluice worker: renewing job %s failed", job.id)

    def _post(self, path, body):
        return post(self.url, path, body, self.api_key, self.timeout + self.wait_ms / 1000.0)


def enqueue(url, type, payload=None, api_key=None, **options):
    """Enqueues one job; options as POST /jobs takes them (queue, priority, delay_ms,
    max_attempts, timeout_ms, unique_key). Returns the stored job."""
    return post(url, "/jobs", {"type": type, "payload": payload if payload is not None else {}, **options}, api_key)


def enqueue_many(url, jobs, api_key=None):
    """Enqueues `jobs` (each a dict shaped as POST /jobs' body) through POST /jobs/batch, up to
    1,000 a request, each request stored in one write. Returns the stored jobs, in order. A
    refused request (422 naming the element) raises SluiceError; earlier requests stay stored."""
    jobs = list(jobs)
    stored = []
    for start in range(0, len(jobs), MAX_BATCH):
        stored += post(url, "/jobs/batch", {"jobs": jobs[start:start + MAX_BATCH]}, api_key)["jobs"]
    return stored


# One keep-alive connection per thread and server: a new TCP connection per request cost as
# much as the request itself, and a worker makes one request per finished job.
_connections = threading.local()


def _connection(parts):
    """This thread's connection to the server of `parts`, and whether it was used before."""
    pool = _connections.__dict__.setdefault("pool", {})
    key = (parts.scheme, parts.netloc)
    if key in pool:
        return pool[key], True
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    pool[key] = kind(parts.netloc)
    return pool[key], False


def _drop(parts):
    connection = _connections.__dict__.get("pool", {}).pop((parts.scheme, parts.netloc), None)
    if connection:
        connection.close()


def post(url, path, body, api_key=None, timeout=60):
    """One JSON POST to Sluice; a non-2xx answer is raised as SluiceError, no answer as OSError."""
    parts = urllib.parse.urlsplit(url.rstrip("/") + path)
    target = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer " + api_key
    data = json.dumps(body).encode()
    for attempt in range(2):
        connection, was_used = _connection(parts)
        connection.timeout = timeout
        if connection.sock:
            connection.sock.settimeout(timeout)
        try:
            connection.request("POST", target, data, headers)
            response = connection.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as e:
            _drop(parts)
            # The server closes idle keep-alive connections: a request that found one closed before
            # any answer is sent again once, on a new connection. Every other failure is the caller's.
            if was_used and attempt == 0 and isinstance(e, (ConnectionError, http.client.RemoteDisconnected)):
                continue
            raise e if isinstance(e, OSError) else ConnectionError(str(e))
        if response.will_close:
            _drop(parts)
        break
    if response.status >= 300:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = {"message": text.decode("utf-8", "replace")}
        raise SluiceError(response.status, parsed)
    return json.loads(text)

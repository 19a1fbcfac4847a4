#!/usr/bin/env python3
"""A full disk on the embedded default, end to end. The server runs with a 6 MB file-size limit
(RLIMIT_FSIZE: every write past it fails with EFBIG, as on a full disk, without needing a
filesystem of that size or the privileges to mount one), then the limit is lifted as space
coming back would.
  disk_full_test.py SLUICE_BINARY
Checks: an upload too large to spool is answered 507 insufficient_storage (not a dropped
connection) and logged; uploads that fill the database get 507 naming what was kept, the
batches stored before stay intact and the store consistent; once space is back uploads succeed
and the indexing job that ran out of space resumes and finishes."""

import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import call, wait_for  # noqa: E402

LIMIT = 6 * 1024 * 1024
WORDS = "lighthouse keeper lamp night storm harbour ship rock beacon tide fog bell coast cliff wave".split()


def batch(start, count, rng):
    return [{"id": "doc-%d" % i, "text": " ".join(rng.choice(WORDS) for _ in range(150)) + " %d" % i}
            for i in range(start, start + count)]


def raw_upload(base, path, size):
    """Sends a body of `size` bytes with Expect: 100-continue; returns (status, body)."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n"
                   "Expect: 100-continue\r\n\r\n" % (path, size)).encode())
        line = json.dumps({"id": "big", "text": "x" * 1000}).encode() + b"\n"
        sent, answer = 0, b""
        s.settimeout(0.5)
        try:
            answer += s.recv(65536)
        except socket.timeout:
            pass
        s.settimeout(60)
        try:
            while sent < size:
                chunk = (line * 1000)[:size - sent]
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: the response is already on its way
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server closed first
        while True:
            try:
                data = s.recv(65536)
            except OSError:
                break
            if not data:
                break
            answer += data
    text = answer.decode(errors="replace")
    responses = [part for part in text.split("HTTP/1.1 ") if part and not part.startswith("100")]
    assert responses, "no response after 100 Continue: %r" % text[:300]
    status = int(responses[0][:3])
    body = responses[0].split("\r\n\r\n", 1)[1]
    return status, json.loads(body)


def main():
    binary = sys.argv[1]
    data_dir = tempfile.mkdtemp(prefix="sluice-disk-full-")
    log_path = os.path.join(data_dir, "server.log")
    log = open(log_path, "w")

    def limit_files():
        # The soft limit is what writes hit; the hard one stays open so that it can be lifted.
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))

    server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                               "--job-workers", "1", "--job-backoff-ms", "500", "--job-max-attempts", "20"],
                              stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=limit_files)
    try:
        base = server.stdout.readline().split()[-1]
        dataset = call(base, "POST", "/datasets", {"name": "full"}, expect=201)["id"]

        # 1. Too large to spool: 507, answered and logged, not a dropped connection.
        status, body = raw_upload(base, "/datasets/%d/documents" % dataset, 10 * 1024 * 1024)
        assert status == 507 and body["code"] == "insufficient_storage", (status, body)
        log.flush()
        assert "disk is full" in open(log_path).read(), "the refusal was not logged"

        # 2. Fill the database with uploads of 1,000 documents (about 1 MB each, under the spooling
        # threshold) until one is refused; what was stored before stays, the store stays consistent.
        rng = random.Random(7)
        stored = 0
        refused = None
        for round_ in range(100):
            status, body, _ = call(base, "POST", "/datasets/%d/documents" % dataset,
                                   {"documents": batch(stored, 1000, rng)}, expect=None)
            if status == 507:
                refused = body
                break
            assert status == 201, (status, body)
            stored += 1000
        assert refused and refused["code"] == "insufficient_storage", refused
        assert "not stored" in refused["message"], refused
        assert stored > 0
        described = call(base, "GET", "/datasets/%d" % dataset)
        assert described["documents"] == stored, (described, stored)
        assert call(base, "GET", "/datasets/%d/documents/doc-%d" % (dataset, stored - 1))["id"] == "doc-%d" % (stored - 1)

        # 3. Indexing runs out of space too: the job fails its attempt and waits to retry.
        job_id = call(base, "POST", "/datasets/%d/process" % dataset, {}, expect=202)["job_id"]
        wait_for("a failed attempt", lambda: call(base, "GET", "/jobs/" + job_id)["last_error"], 60)

        # 4. Space comes back: the same upload succeeds and the job resumes and finishes.
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        status, body, _ = call(base, "POST", "/datasets/%d/documents" % dataset,
                               {"documents": batch(stored, 1000, rng)}, expect=None)
        assert status == 201 and body["added"] == 1000, (status, body)
        wait_for("the job to finish", lambda: call(base, "GET", "/jobs/" + job_id)["state"] == "succeeded", 120)
        described = call(base, "GET", "/datasets/%d" % dataset)
        assert described["chunks"] > 0 and described["chunks"] == described["indexed_chunks"], described
        hits = call(base, "POST", "/datasets/%d/search" % dataset, {"query": "lighthouse keeper", "k": 3})
        assert hits["results"], hits
        print("ok: 507 for a spooled body and for a full database; recovered after space came back")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()

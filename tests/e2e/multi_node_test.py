#!/usr/bin/env python3
"""Several nodes as one Sluice, end to end: PostgreSQL (initdb/pg_ctl in a temporary directory),
Redis, two `sluice serve` and two `sluice worker` processes on loopback (tests/e2e/cluster.py).
  multi_node_test.py SLUICE_BINARY
Checks: a dataset created on A is served by B; documents uploaded on B are indexed by a worker
and searched on A and B with equal results; API-key ownership holds across nodes; a document
or dataset deleted on B disappears from A; kill -9 of a worker mid-indexing: the other worker
resumes from the checkpoint and the chunks equal a clean run's; kill -9 of a serving node
mid-upload: re-sending to the other node converges (counted unchanged); PostgreSQL stopped:
503 database_unavailable with Retry-After, and everything recovers by itself once it is back;
a restarted node loads its indexes from the store; a node cut off from PostgreSQL and back catches
up from the change log; a file uploaded on A is batched on B, run by a worker killed half-way and
finished by the other, every line's result exactly once, its output served by A."""

import collections
import json
import os
import random
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, Partition, call, wait_for  # noqa: E402

ALPHA = {"Authorization": "Bearer alpha-key"}
BETA = {"Authorization": "Bearer beta-key"}
WORDS = ("lighthouse keeper lamp night storm harbour ship rock beacon tide fog bell coast cliff wave "
         "sourdough flour starter oven crust volcano lava magma crater ash tea leaf kettle brew cup").split()


def documents(count, seed, words=60):
    rng = random.Random(seed)
    return [{"id": "doc-%d" % i, "title": "Document %d" % i,
             "text": " ".join(rng.choice(WORDS) for _ in range(words)) + " marker%d." % i,
             "metadata": {"n": i, "group": "even" if i % 2 == 0 else "odd"}} for i in range(count)]


def api(base, method, path, body=None, expect=200, headers=ALPHA):
    return call(base, method, path, body, expect=expect, headers=headers)


def process(base, dataset, headers=ALPHA):
    started = api(base, "POST", "/datasets/%d/process" % dataset, {}, expect=202, headers=headers)
    return started["job_id"]


def wait_job(base, job_id, seconds=120):
    def done():
        job = call(base, "GET", "/jobs/" + job_id, headers=ALPHA)
        return job if job["state"] in ("succeeded", "failed", "dead", "cancelled") else None
    job = wait_for("job " + job_id, done, seconds)
    assert job["state"] == "succeeded", job
    return job


def search(base, dataset, query, k=5, mode="hybrid", headers=ALPHA, **extra):
    body = {"query": query, "k": k, "mode": mode, **extra}
    return api(base, "POST", "/datasets/%d/search" % dataset, body, headers=headers)["results"]


def ids(results):
    return [(hit["document_id"], hit["chunk_id"]) for hit in results]


def check_shared_datasets(cluster, a, b):
    dataset = api(a, "POST", "/datasets", {"name": "shared", "chunk_size": 48, "chunk_overlap": 8}, expect=201)
    id_ = dataset["id"]
    assert api(b, "GET", "/datasets/%d" % id_)["name"] == "shared"
    # Ownership holds across nodes: beta sees neither the dataset nor its searches.
    api(b, "GET", "/datasets/%d" % id_, expect=404, headers=BETA)
    assert all(d["id"] != id_ for d in api(b, "GET", "/datasets", headers=BETA)["datasets"])

    docs = documents(300, seed=1)
    uploaded = api(b, "POST", "/datasets/%d/documents" % id_, {"documents": docs}, expect=201)
    assert uploaded["added"] == 300, uploaded
    job = wait_job(a, process(a, id_))
    assert job["result"]["documents_chunked"] == 300, job

    for query in ("lighthouse keeper night", "sourdough oven crust", "marker17", "volcano ash"):
        for mode in ("hybrid", "keyword", "vector"):
            on_a, on_b = search(a, id_, query, mode=mode), search(b, id_, query, mode=mode)
            assert on_a, (query, mode)
            assert ids(on_a) == ids(on_b), (query, mode, ids(on_a), ids(on_b))
    assert search(b, id_, "marker17", k=1, mode="keyword")[0]["document_id"] == "doc-17"
    filtered = search(a, id_, "lighthouse", k=20, mode="keyword", filter={"n": {"$gte": 290}})
    assert filtered and all(hit["metadata"]["n"] >= 290 for hit in filtered), filtered

    for condition, expected in (({"group": {"$in": ["odd"]}}, lambda m: m["group"] == "odd"),
                                ({"group": {"$ne": "odd"}}, lambda m: m["group"] == "even"),
                                ({"n": {"$gt": 10, "$lt": 13}}, lambda m: 10 < m["n"] < 13)):
        hits = search(b, id_, "lighthouse", k=50, mode="keyword", filter=condition)
        assert hits and all(expected(hit["metadata"]) for hit in hits), (condition, hits)

    # COPY's escapes and one upload naming a document twice (the later one wins, counted as an update).
    odd = {"id": "odd\tid", "title": "Tabs\tand\\slashes", "text": "line one\nline\ttwo \\ back\\slash \r naïve café 東京 quasiquote",
           "metadata": {"path": "C:\\dir", "quote": "\"x\""}}
    twice = [{"id": "dup", "text": "first version"}, {"id": "dup", "text": "second version zebra"}]
    result = api(a, "POST", "/datasets/%d/documents" % id_, {"documents": [odd] + twice}, expect=201)
    assert (result["added"], result["updated"]) == (2, 1), result
    stored = api(b, "GET", "/datasets/%d/documents/odd%%09id" % id_)
    assert (stored["title"], stored["text"], stored["metadata"]) == (odd["title"], odd["text"], odd["metadata"]), stored
    assert api(b, "GET", "/datasets/%d/documents/dup" % id_)["text"] == "second version zebra"
    wait_job(a, process(a, id_))
    assert search(b, id_, "quasiquote", k=1, mode="keyword")[0]["text"].startswith("line one\nline\ttwo")

    # Changed on B, searched on A at once: the change log is read before A answers.
    api(b, "DELETE", "/datasets/%d/documents/doc-17" % id_)
    assert all(hit["document_id"] != "doc-17" for hit in search(a, id_, "marker17", k=10, mode="keyword"))
    replaced = dict(docs[5], text="an entirely new text about quasars and pulsars marker5.")
    assert api(a, "POST", "/datasets/%d/documents" % id_, {"documents": [replaced]})["updated"] == 1
    wait_job(b, process(b, id_))
    assert search(b, id_, "quasars pulsars", k=1, mode="keyword")[0]["document_id"] == "doc-5"
    assert search(a, id_, "quasars pulsars", k=1, mode="keyword")[0]["document_id"] == "doc-5"
    return id_


def check_delete_dataset(a, b, id_):
    assert api(b, "DELETE", "/datasets/%d" % id_)["deleted"]
    api(a, "POST", "/datasets/%d/search" % id_, {"query": "lighthouse"}, expect=404)
    api(a, "GET", "/datasets/%d" % id_, expect=404)


def chunk_layout(base, id_):
    layout = []
    for offset in range(0, 100000, 1000):
        page = api(base, "GET", "/datasets/%d/documents?limit=1000&offset=%d" % (id_, offset))["documents"]
        layout += [(d["id"], d["chunks"]) for d in page]
        if len(page) < 1000:
            return sorted(layout)


def check_worker_killed_mid_indexing(cluster, a, b):
    docs = documents(600, seed=2, words=300)
    clean = api(a, "POST", "/datasets", {"name": "clean", "chunk_size": 32, "chunk_overlap": 4}, expect=201)["id"]
    drill = api(a, "POST", "/datasets", {"name": "drill", "chunk_size": 32, "chunk_overlap": 4}, expect=201)["id"]
    for id_ in (clean, drill):
        api(b, "POST", "/datasets/%d/documents" % id_, {"documents": docs}, expect=201)
    job_id = process(a, drill)
    # Well under way, every worker is killed -9 (whichever holds the job); a fresh one takes the
    # job once its lease has run out and resumes from the last checkpoint.
    wait_for("embedding progress", lambda: call(a, "GET", "/jobs/" + job_id, headers=ALPHA)["progress"] > 0.2, 120)
    for process_ in cluster.processes:
        if "worker" in process_.log_path:
            process_.kill()
    progress_at_kill = call(a, "GET", "/jobs/" + job_id, headers=ALPHA)["progress"]
    cluster.worker("--job-lease-ms", "1500", workers=1)
    cluster.worker("--job-lease-ms", "1500", workers=1)
    job = wait_job(a, job_id, 180)
    assert job["attempts"] == 2, job
    assert job["result"]["documents_chunked"] == 0, job  # chunking had finished before the kill
    assert job["result"]["chunks_embedded"] < job["result"]["chunks"] * (1.0 - progress_at_kill) + 64, job
    wait_job(a, process(a, clean), 180)
    assert chunk_layout(a, drill) == chunk_layout(a, clean)
    counts = api(b, "GET", "/datasets/%d" % drill)
    assert counts["chunks"] == counts["indexed_chunks"] == api(b, "GET", "/datasets/%d" % clean)["chunks"], counts
    for query in ("lighthouse harbour", "kettle brew"):
        for mode in ("keyword", "vector"):
            assert [h["document_id"] for h in search(a, drill, query, k=10, mode=mode)] == \
                   [h["document_id"] for h in search(b, clean, query, k=10, mode=mode)], (query, mode)


def check_node_killed_mid_upload(cluster, a, b):
    id_ = api(a, "POST", "/datasets", {"name": "upload-drill"}, expect=201)["id"]
    docs = documents(6000, seed=3, words=80)
    server_a = cluster.processes[0]
    failure = []

    def upload():
        try:
            api(a, "POST", "/datasets/%d/documents" % id_, {"documents": docs}, expect=201)
        except Exception as e:  # the connection is cut by the kill
            failure.append(e)
    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.3)
    server_a.kill()
    thread.join()
    # The client re-sends to the other node: one upload is one transaction, so either nothing
    # or everything arrived; the re-send completes it, counting what was there as unchanged.
    status, again, _ = call(b, "POST", "/datasets/%d/documents" % id_, {"documents": docs}, expect=None, headers=ALPHA)
    assert status in (200, 201), (status, again)
    assert again["added"] + again["unchanged"] == 6000 and again["updated"] == 0, again
    assert api(b, "GET", "/datasets/%d" % id_)["documents"] == 6000
    third = api(b, "POST", "/datasets/%d/documents" % id_, {"documents": docs})
    assert third["unchanged"] == 6000, third


def check_database_outage(cluster, b, id_):
    before = search(b, id_, "lighthouse keeper", mode="keyword")
    cluster.postgres.stop("fast")
    try:
        status, body, headers = call(b, "POST", "/datasets/%d/search" % id_, {"query": "lighthouse keeper"},
                                     expect=None, headers=ALPHA)
        assert status == 503 and body["code"] == "database_unavailable", (status, body)
        assert headers.get("Retry-After"), headers
        status, body, _ = call(b, "POST", "/datasets/%d/documents" % id_, {"documents": documents(3, seed=9)},
                               expect=None, headers=ALPHA)
        assert status == 503 and body["code"] == "database_unavailable", (status, body)
        status, ready, _ = call(b, "GET", "/ready", expect=None)
        assert status == 503 and ready["checks"]["database"]["status"] == "unavailable", ready
    finally:
        cluster.postgres.start()
    # Recovers by itself: the pool reconnects on the next call.
    assert wait_for("search after the outage", lambda: call(b, "POST", "/datasets/%d/search" % id_,
                                                            {"query": "lighthouse keeper", "mode": "keyword"},
                                                            expect=None, headers=ALPHA)[0] == 200, 30)
    assert ids(search(b, id_, "lighthouse keeper", mode="keyword")) == ids(before)
    assert call(b, "GET", "/ready")["checks"]["database"]["status"] == "ok"


def check_partition(cluster, a, id_):
    """A node cut off from PostgreSQL answers 503 while it is, and afterwards serves what a
    connected node does, including what was written while it was away."""
    partition = Partition(cluster.postgres.port)
    c = cluster.serve("--job-lease-ms", "1500", database_url=partition.url)
    assert ids(search(c, id_, "marker7", mode="keyword")) == ids(search(a, id_, "marker7", mode="keyword"))
    partition.cut()
    status, body, _ = call(c, "POST", "/datasets/%d/search" % id_, {"query": "marker7"}, expect=None,
                           headers=ALPHA, timeout=30)
    assert status == 503 and body["code"] == "database_unavailable", (status, body)
    # Written meanwhile through A and indexed by a worker: C cannot hear of it.
    api(a, "POST", "/datasets/%d/documents" % id_,
        {"documents": [{"id": "while-away", "text": "partitioned zeppelin hangar beacon"}]}, expect=201)
    wait_job(a, process(a, id_))
    partition.heal()
    assert wait_for("the node back", lambda: call(c, "GET", "/ready", expect=None)[0] == 200, 30)
    for query in ("partitioned zeppelin", "marker7", "lighthouse keeper night"):
        for mode in ("keyword", "hybrid"):
            assert ids(search(c, id_, query, mode=mode)) == ids(search(a, id_, query, mode=mode)), (query, mode)
    assert search(c, id_, "partitioned zeppelin", mode="keyword")[0]["document_id"] == "while-away"
    # Both answered from the same version of the index: the change log's newest entry.
    versions = [api(node, "POST", "/datasets/%d/search" % id_, {"query": "zeppelin"})["index_version"]
                for node in (a, c)]
    assert versions[0] == versions[1] > 0, versions


def multipart(fields, filename, content):
    boundary = "sluice-test-%d" % random.getrandbits(48)
    body = b""
    for name, value in fields.items():
        body += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, name, value)).encode()
    body += ('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
             'Content-Type: application/octet-stream\r\n\r\n' % (boundary, filename)).encode()
    body += content + ("\r\n--%s--\r\n" % boundary).encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def upload_file(base, purpose, filename, content, headers=ALPHA):
    body, content_type = multipart({"purpose": purpose}, filename, content)
    return call(base, "POST", "/v1/files", raw=body, headers={**headers, **content_type})


def file_content(base, file_id, headers=ALPHA):
    request = urllib.request.Request(base + "/v1/files/%s/content" % file_id, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def check_files_and_batches(cluster, a, b):
    # Any node serves any file, whole (5 MB: several stored chunks, streamed out) and owned.
    big = random.Random(5).randbytes(5 * 1024 * 1024 + 17)
    stored = upload_file(a, "user_data", "big.bin", big)
    assert call(b, "GET", "/v1/files/" + stored["id"], headers=ALPHA)["bytes"] == len(big)
    assert file_content(b, stored["id"]) == big
    call(b, "GET", "/v1/files/" + stored["id"], expect=404, headers=BETA)
    assert stored["id"] in [f["id"] for f in call(b, "GET", "/v1/files?purpose=user_data", headers=ALPHA)["data"]]
    call(b, "DELETE", "/v1/files/" + stored["id"], headers=ALPHA)
    call(a, "GET", "/v1/files/" + stored["id"], expect=404, headers=ALPHA)

    # A batch of a file uploaded on A, created on B, run by a worker killed half-way.
    lines = 4000
    text = "".join(json.dumps({"custom_id": "line-%d" % i, "method": "POST", "url": "/v1/embeddings",
                               "body": {"model": "sluice-embed", "input": "batched text %d" % i}}) + "\n"
                   for i in range(lines))
    text += json.dumps({"custom_id": "bad", "method": "POST", "url": "/v1/embeddings",
                        "body": {"model": "no-such-model", "input": "x"}}) + "\n"
    input_file = upload_file(a, "batch", "input.jsonl", text.encode())
    batch = call(b, "POST", "/v1/batches", {"input_file_id": input_file["id"], "endpoint": "/v1/embeddings",
                                            "completion_window": "24h"}, headers=ALPHA)

    def progressed():
        got = call(a, "GET", "/v1/batches/" + batch["id"], headers=ALPHA)
        return got if got["request_counts"]["completed"] >= 300 else None
    at_kill = wait_for("the batch under way", progressed, 120)
    assert at_kill["status"] == "in_progress", at_kill
    for worker in [p for p in cluster.processes if p.args[1] == "worker"]:
        worker.kill()
    fresh = cluster.worker("--job-lease-ms", "1500", workers=1)

    def finished():
        got = call(b, "GET", "/v1/batches/" + batch["id"], headers=ALPHA)
        return got if got["status"] in ("completed", "failed", "cancelled", "expired") else None
    final = wait_for("the batch", finished, 180)
    assert final["status"] == "completed", final
    assert "batch %s resumes" % batch["id"] in open(fresh.log_path).read(), fresh.tail()
    assert final["request_counts"] == {"total": lines + 1, "completed": lines, "failed": 1}, final
    output = file_content(a, final["output_file_id"]).decode()
    seen = collections.Counter(json.loads(line)["custom_id"] for line in output.splitlines())
    assert len(seen) == lines and max(seen.values()) == 1, (len(seen), seen.most_common(2))
    errors = file_content(b, final["error_file_id"]).decode().splitlines()
    assert [json.loads(line)["custom_id"] for line in errors] == ["bad"]
    assert call(a, "GET", "/v1/files/" + final["output_file_id"], headers=ALPHA)["purpose"] == "batch_output"
    call(a, "GET", "/v1/batches/" + batch["id"], expect=404, headers=BETA)


STARTED = time.time()


def done(what):
    print("ok (%.1f s): %s" % (time.time() - STARTED, what), flush=True)


def main():
    binary = sys.argv[1]
    with Cluster(binary, api_keys=["alpha-key", "beta-key"]) as cluster:
        a = cluster.serve("--job-lease-ms", "1500")
        b = cluster.serve("--job-lease-ms", "1500")
        cluster.worker("--job-lease-ms", "1500", workers=1)
        cluster.worker("--job-lease-ms", "1500", workers=1)
        shared = check_shared_datasets(cluster, a, b)
        done("shared datasets, ownership and changes across nodes")
        check_worker_killed_mid_indexing(cluster, a, b)
        done("a worker killed mid-indexing")
        check_database_outage(cluster, b, shared)
        done("PostgreSQL stopped and started again")
        # A node started now loads its indexes from the store.
        c = cluster.serve("--job-lease-ms", "1500")
        for query in ("lighthouse keeper night", "marker42"):
            assert ids(search(c, shared, query)) == ids(search(b, shared, query))
        done("a new node serves what the others do")
        check_partition(cluster, a, shared)
        done("a node cut off from PostgreSQL and back")
        check_delete_dataset(a, b, shared)
        done("a dataset deleted on B is gone from A")
        check_files_and_batches(cluster, a, b)
        done("files and batches through any node, a worker killed mid-batch")
        check_node_killed_mid_upload(cluster, a, b)
        done("a node killed mid-upload")


if __name__ == "__main__":
    main()

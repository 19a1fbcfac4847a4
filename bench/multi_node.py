#!/usr/bin/env python3
"""Datasets through several nodes against one node, in one sitting: SciFact uploaded, processed
and searched on a single `sluice serve` with SQLite, then through two servers and two workers
sharing PostgreSQL and Redis (tests/e2e/cluster.py starts them on loopback).
  python3 bench/multi_node.py [BUILD_DIR] [BEIR_DIR]    (defaults build/ci, ../shared/datasets/scifact)
Prints ingestion time (upload + process until searchable on every node), search p50/p99 per node
and mode (one client, sequential; the 300 queries twice: "first", then "again" with the node's
passage cache warm), and the index lag: after a document's job has succeeded, how
long until a search on the other node returns it."""

import http.client
import json
import os
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import Cluster, Process, call, wait_for  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ci")
BEIR = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared", "datasets", "scifact")
BINARY = os.path.join(BUILD, "sluice")


def corpus():
    docs = []
    for line in open(os.path.join(BEIR, "corpus.jsonl")):
        row = json.loads(line)
        docs.append({"id": row["_id"], "title": row.get("title", ""), "text": row["text"]})
    return docs


def queries():
    return [json.loads(line)["text"] for line in open(os.path.join(BEIR, "queries.jsonl"))][:300]


def upload(base, dataset, docs):
    for start in range(0, len(docs), 1000):
        call(base, "POST", "/datasets/%d/documents" % dataset, {"documents": docs[start:start + 1000]}, expect=None)


def wait_job(base, job_id):
    wait_for("job", lambda: call(base, "GET", "/jobs/" + job_id)["state"] == "succeeded", 600)


def ingest(upload_nodes, process_node, docs):
    """Upload (split across nodes, in parallel) and process; seconds until the job succeeded."""
    dataset = call(process_node, "POST", "/datasets", {"name": "scifact"}, expect=201)["id"]
    started = time.time()
    parts = [docs[i::len(upload_nodes)] for i in range(len(upload_nodes))]
    threads = [threading.Thread(target=upload, args=(node, dataset, part)) for node, part in zip(upload_nodes, parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job = call(process_node, "POST", "/datasets/%d/process" % dataset, {}, expect=202)["job_id"]
    wait_job(process_node, job)
    return dataset, time.time() - started


def latencies(base, dataset, texts, mode):
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port))
    times = []
    for text in texts:
        body = json.dumps({"query": text, "k": 10, "mode": mode})
        started = time.perf_counter()
        connection.request("POST", "/datasets/%d/search" % dataset, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000


def searchable_everywhere(nodes, dataset, text):
    return all(call(node, "POST", "/datasets/%d/search" % dataset, {"query": text, "k": 1})["results"]
               for node in nodes)


def lag(writer, reader, dataset, rounds=50):
    """After the job for one new document has succeeded (seen on `writer`), how long until a
    search on `reader` returns it."""
    lags = []
    for i in range(rounds):
        marker = "zqxmarker%d" % i
        call(writer, "POST", "/datasets/%d/documents" % dataset,
             {"documents": [{"id": "lag-%d" % i, "text": "lag probe " + marker}]}, expect=201)
        job = call(writer, "POST", "/datasets/%d/process" % dataset, {}, expect=202)["job_id"]
        wait_for("job", lambda: call(writer, "GET", "/jobs/" + job)["state"] == "succeeded", 60)
        done = time.perf_counter()
        while True:
            hits = call(reader, "POST", "/datasets/%d/search" % dataset, {"query": marker, "k": 1, "mode": "keyword"})
            if hits["results"] and hits["results"][0]["document_id"] == "lag-%d" % i:
                break
        lags.append((time.perf_counter() - done) * 1000)
    lags.sort()
    return lags[len(lags) // 2], lags[int(len(lags) * 0.99)]


def main():
    docs, texts = corpus(), queries()
    print("corpus: %d documents, %d queries" % (len(docs), len(texts)))
    data = tempfile.mkdtemp(prefix="sluice-single-")
    single = Process([BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data, "--log-level",
                      "warn"], None, os.path.join(data, "log"), "sluice listening on")
    base = single.first_line.split()[-1]
    dataset, seconds = ingest([base], base, docs)
    print("single node, SQLite: ingested in %.1f s" % seconds)
    for mode in ("keyword", "hybrid"):
        for run in ("first", "again"):
            print("  search %s (%s): p50 %.2f ms, p99 %.2f ms" % ((mode, run) + latencies(base, dataset, texts, mode)))
    single.kill()

    with Cluster(BINARY) as cluster:
        a = cluster.serve("--log-level", "warn")
        b = cluster.serve("--log-level", "warn")
        cluster.worker("--log-level", "warn", workers=1)
        cluster.worker("--log-level", "warn", workers=1)
        started = time.time()
        dataset, _ = ingest([a, b], a, docs)
        wait_for("searchable on both", lambda: searchable_everywhere([a, b], dataset, texts[0]), 600)
        print("two nodes + two workers, PostgreSQL: ingested and searchable on both in %.1f s"
              % (time.time() - started))
        for name, node in (("A", a), ("B", b)):
            for mode in ("keyword", "hybrid"):
                for run in ("first", "again"):
                    print("  node %s search %s (%s): p50 %.2f ms, p99 %.2f ms"
                          % ((name, mode, run) + latencies(node, dataset, texts, mode)))
        print("  index lag (job succeeded on A → found on B): p50 %.1f ms, p99 %.1f ms" % lag(a, b, dataset))


if __name__ == "__main__":
    main()

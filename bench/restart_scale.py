#!/usr/bin/env python3
"""A serving node on PostgreSQL restarted in front of a large dataset: how long until it is
searchable again, and what its indexes cost per chunk.
  python3 bench/restart_scale.py [BUILD_DIR] [CHUNKS]    (defaults build/ci, 200000)
Makes CHUNKS one-chunk documents (synthetic English-like text, 40 words each), uploads them
through a serving node, processes them on two workers (tests/e2e/cluster.py starts PostgreSQL,
Redis and the processes on loopback), loads the index with a first search, then restarts the
node three ways and times start → first search answered: SIGTERM (the node saves its vector
index file, as a rolling deploy stops it), kill -9 (the file is as old as the last save: the
vectors since are re-read from the store and inserted again), and a node with a new data
directory (nothing local: every vector inserted from the store). Memory per chunk: the node's
RSS after the load, less its RSS before any dataset was loaded, over CHUNKS."""

import os
import random
import signal
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import Cluster, call, wait_for  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ci")
CHUNKS = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
BINARY = os.path.join(BUILD, "sluice")


def vocabulary(size=20_000, seed=1):
    rng = random.Random(seed)
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    weights = [12, 9, 8, 7, 7, 6, 6, 6, 5, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(3, 9))) for _ in range(size)]


def documents(count):
    words = vocabulary()
    rng = random.Random(2)
    # Zipf-like: a few words are everywhere, most are rare, as in real text.
    ranks = [1.0 / (i + 1) for i in range(len(words))]
    for i in range(count):
        yield {"id": "d%d" % i, "text": " ".join(rng.choices(words, ranks, k=40))}


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def upload(base, dataset, docs):
    for start in range(0, len(docs), 2000):
        call(base, "POST", "/datasets/%d/documents" % dataset, {"documents": docs[start:start + 2000]}, expect=201,
             timeout=300)


def first_search(base, dataset):
    try:
        return call(base, "POST", "/datasets/%d/search" % dataset, {"query": "the index is back", "k": 10},
                    expect=None, timeout=900)[0] == 200
    except OSError:  # the node is still starting
        return False


def restart(cluster, node_process, how, dataset, data_name):
    if how == "SIGTERM":
        node_process.kill(signal.SIGTERM)
    else:
        node_process.kill(signal.SIGKILL)
    started = time.time()
    base = cluster.serve("--log-level", "warn", name=data_name)
    process = cluster.processes[-1]
    wait_for("searchable", lambda: first_search(base, dataset), 900)
    return time.time() - started, process


def main():
    docs = list(documents(CHUNKS))
    with Cluster(BINARY) as cluster:
        a = cluster.serve("--log-level", "warn", name="node")
        node = cluster.processes[-1]
        cluster.worker("--log-level", "warn", workers=1)
        cluster.worker("--log-level", "warn", workers=1)
        before = rss_kib(node.process.pid)
        dataset = call(a, "POST", "/datasets", {"name": "scale", "chunk_size": 512}, expect=201)["id"]
        started = time.time()
        parts = [docs[i::2] for i in range(2)]
        threads = [threading.Thread(target=upload, args=(a, dataset, part)) for part in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        uploaded = time.time() - started
        job = call(a, "POST", "/datasets/%d/process" % dataset, {}, expect=202)["job_id"]
        wait_for("processing", lambda: call(a, "GET", "/jobs/" + job)["state"] == "succeeded", 3600)
        processed = time.time() - started
        counts = call(a, "GET", "/datasets/%d" % dataset)
        chunks = counts.get("chunks", CHUNKS)
        print("%d documents, %s chunks: uploaded in %.1f s, processed by two workers in %.1f s (from the start)"
              % (CHUNKS, chunks, uploaded, processed), flush=True)
        wait_for("first load", lambda: first_search(a, dataset), 600)
        after = rss_kib(node.process.pid)
        print("node RSS %.0f MiB before the dataset, %.0f MiB with it loaded: %.0f bytes per chunk"
              % (before / 1024, after / 1024, (after - before) * 1024 / int(chunks)), flush=True)
        for how in ("SIGTERM", "kill -9"):
            seconds, node = restart(cluster, node, how, dataset, "node")
            print("restart after %s: searchable again in %.1f s" % (how, seconds), flush=True)
        seconds, _ = restart(cluster, node, "SIGTERM", dataset, "fresh-node")
        print("a node with an empty data directory: searchable in %.1f s" % seconds, flush=True)


if __name__ == "__main__":
    main()

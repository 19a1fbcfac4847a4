#!/usr/bin/env python3
"""Schedules end to end: two `sluice serve` nodes sharing one Redis (tests/e2e/cluster.py).
  schedules_test.py SLUICE_BINARY
Checks: bad bodies are a 422 naming the field (cron, timezone, cron and every_ms together or
neither, misfire, unknown fields); a duplicate name is a 409. An every_ms: 200 schedule created
on one node runs for about 5 s with both nodes' schedulers racing for its ticks: the jobs are
exactly the ticks from the first to the last, each once (its idempotency key names the tick),
±1 of the elapsed time / 200 ms. Pause stops it on both nodes, resume starts from now, GET shows
next_run_at and last_run_at, DELETE removes it."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, call, wait_for  # noqa: E402

EVERY_MS = 200


def issue_fields(body):
    return [tuple(d["loc"]) for d in body["detail"]]


def check_validation(base):
    bad = [
        ({"name": "x", "type": "t", "cron": "61 * * * *"}, ("body", "cron")),
        ({"name": "x", "type": "t", "cron": "0 9 * * *", "timezone": "Mars/Base"}, ("body", "timezone")),
        ({"name": "x", "type": "t", "cron": "* * * * *", "every_ms": 1000}, ("body", "every_ms")),
        ({"name": "x", "type": "t"}, ("body", "cron")),
        ({"name": "x", "type": "t", "every_ms": 1000, "misfire": "later"}, ("body", "misfire")),
        ({"name": "x", "type": "t", "every_ms": 1000, "colour": "red"}, ("body", "colour")),
        ({"name": "x/y", "type": "t", "every_ms": 1000}, ("body", "name")),
        ({"name": "x", "type": "t", "cron": "0 0 30 2 *"}, ("body", "cron")),
    ]
    for body, field in bad:
        status, answer, _ = call(base, "POST", "/schedules", body, expect=None)
        assert status == 422, (body, status, answer)
        assert field in issue_fields(answer), (body, answer)
    paris = call(base, "POST", "/schedules", {"name": "paris", "type": "report", "cron": "30 2 * * *",
                                               "timezone": "Europe/Paris"}, expect=201)
    assert paris["timezone"] == "Europe/Paris" and paris["next_run_at"] > time.time() * 1000, paris
    call(base, "POST", "/schedules", {"name": "paris", "type": "report", "every_ms": 1000}, expect=409)
    call(base, "DELETE", "/schedules/paris")


def tick_jobs(base):
    jobs = call(base, "GET", "/jobs?type=tick&limit=500")["jobs"]
    return sorted(int(job["idempotency_key"].rsplit(":", 1)[1]) for job in jobs)


def main():
    binary = sys.argv[1]
    with Cluster(binary) as cluster:
        a = cluster.serve()
        b = cluster.serve()
        check_validation(a)

        created = call(a, "POST", "/schedules", {"name": "heartbeat", "type": "tick", "every_ms": EVERY_MS,
                                                  "misfire": "catch_up", "payload": {"from": "e2e"}}, expect=201)
        assert created["paused"] is False and created["last_run_at"] is None, created
        start = created["created_at"]
        time.sleep(5)
        paused = call(b, "POST", "/schedules/heartbeat/pause")
        assert paused["paused"] is True and paused["next_run_at"] is None, paused
        stop = time.time() * 1000
        time.sleep(0.5)  # a pass that read the schedule before the pause has finished

        ticks = tick_jobs(a)
        expected = (stop - start) / EVERY_MS
        assert abs(len(ticks) - expected) <= 1.5, (len(ticks), expected)
        assert len(set(ticks)) == len(ticks), "a tick fired twice"
        assert ticks == [start + EVERY_MS * (k + 1) for k in range(len(ticks))], "ticks missing or off the grid"
        print("every_ms %d for %.1f s: %d jobs for %.1f ticks, each once" % (EVERY_MS, (stop - start) / 1000,
                                                                           len(ticks), expected))

        listed = call(b, "GET", "/schedules")["schedules"]
        assert [s["name"] for s in listed] == ["heartbeat"], listed
        assert listed[0]["last_run_at"] >= ticks[-1], listed
        time.sleep(1)
        assert tick_jobs(b) == ticks, "a paused schedule fired"

        resumed = call(a, "POST", "/schedules/heartbeat/resume")
        assert resumed["paused"] is False and resumed["next_run_at"] > stop, resumed
        wait_for("a tick after resuming", lambda: len(tick_jobs(a)) > len(ticks), 10)
        after = tick_jobs(a)
        assert after[len(ticks)] > stop + 1000, "the paused ticks were caught up"

        call(b, "DELETE", "/schedules/heartbeat")
        call(a, "GET", "/schedules/heartbeat", expect=404)
        call(a, "POST", "/schedules/heartbeat/pause", expect=404)
    print("schedules end to end: ok")


if __name__ == "__main__":
    main()

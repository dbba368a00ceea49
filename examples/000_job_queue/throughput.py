"""Seed 000, Test 1 — basic throughput: 1,000 jobs through one worker, against the demo pipeline.

    loadpulse target demo --port 8000 --workers 1 --batch-size 1 --db jobs.db &
    loadpulse run examples/000_job_queue/throughput.py --base-url http://127.0.0.1:8000

(from one directory: the sink below reads the target's jobs.db there).

| What to watch (seed 000)   | Target    | objective below                                              |
|----------------------------|-----------|--------------------------------------------------------------|
| Jobs/sec                   | > 50      | requests{name=enqueue}.rate, with pipeline.drain: the worker  |
|                            |           | keeps up, so jobs finish as fast as they are enqueued        |
| p99 latency                | < 500 ms  | pipeline.e2e.p99: enqueue to the job's row in the database   |
| 100 % completion rate      | 100 %     | pipeline.lost.count == 0 and pipeline.stuck.count == 0       |

A job is a POST /api/messages (202 and the job's id); the demo's worker stores it into SQLite with its
name, status and completion time, which the sink reads: "completed" is seen in the database, not assumed.
"""

from __future__ import annotations

from loadpulse import Ctx, task

# The guide enqueues 1,000 jobs at once (Promise.all): 1,000 iterations shared by 50 concurrent VUs.
profile = {"profile": "shared-iterations", "vus": 50, "iterations": 1000}

pipeline = {
    "sink": "sql:sqlite:///jobs.db#SELECT id, stored_at AS at, worker, status FROM messages "
    "WHERE stored_at >= :since",
    "drain_timeout": "10s",
    "stuck_after": "5s",
}

thresholds = [
    "requests{name=enqueue}.rate > 50/s",
    "pipeline.e2e.p99 < 500ms",
    "pipeline.drain < 2s",
    "pipeline.lost.count == 0",
    "pipeline.stuck.count == 0",
    "checks{name=enqueued}.rate == 100%",
]


@task
async def enqueue(ctx: Ctx) -> None:
    job = {"job": "my-job", "data": {"vu": ctx.vu.id, "n": ctx.vu.iteration}}
    r = await ctx.http.post("/api/messages", json=job, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

"""Seed 000, Test 2 — multi-worker concurrency: 1,000 jobs shared by 5 workers, against the demo pipeline.

    loadpulse target demo --port 8000 --workers 5 --batch-size 1 --db jobs.db &
    loadpulse run examples/000_job_queue/multi_worker.py --base-url http://127.0.0.1:8000

(from one directory: the sink below reads the target's jobs.db there).

| What to watch (seed 000)          | objective below                                                   |
|-----------------------------------|-------------------------------------------------------------------|
| All jobs complete                 | pipeline.lost.count == 0, pipeline.stuck.count == 0               |
| No duplicates                     | pipeline.duplicates.count == 0                                    |
| Workers share load evenly (±20 %) | pipeline.fairness < 20%: the largest deviation of one worker from |
|                                   | an even share; "workers": 5, so a worker that did nothing counts  |

The console's `workers` line is the guide's "Worker Distribution" (jobs per worker).
"""

from __future__ import annotations

from loadpulse import Ctx, task

profile = {"profile": "shared-iterations", "vus": 50, "iterations": 1000}

pipeline = {
    "sink": "sql:sqlite:///jobs.db#SELECT id, stored_at AS at, worker, status FROM messages "
    "WHERE stored_at >= :since",
    "drain_timeout": "10s",
    "stuck_after": "5s",
    "workers": 5,
}

thresholds = [
    "pipeline.lost.count == 0",
    "pipeline.stuck.count == 0",
    "pipeline.duplicates.count == 0",
    "pipeline.fairness < 20%",
]


@task
async def enqueue(ctx: Ctx) -> None:
    job = {"job": "my-job", "data": {"vu": ctx.vu.id, "n": ctx.vu.iteration}}
    r = await ctx.http.post("/api/messages", json=job, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

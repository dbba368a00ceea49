"""Seed 000, "Failure Test: jobs that fail 50% of the time": every job's attempt fails with probability 0.5
and goes back to the queue to be tried again (up to 20 attempts). Every job still ends done, once; the
retries show in the end-to-end latency and in the ``failed_attempts`` probe (the queue's own counter).

    loadpulse run examples/005_chaos/failing_jobs.py -u http://127.0.0.1:8005
"""

from __future__ import annotations

from chaos_settings import PIPELINE, QUEUE, REDIS

from loadpulse import Ctx, task

profile = {"profile": "constant-rate", "rate": 50, "duration": "20s", "max_vus": 50}
pipeline = PIPELINE
probes = {"failed_attempts": f"redis:{REDIS}#HGET {QUEUE}:stats failed_attempts"}
thresholds = [
    "pipeline.lost.count == 0",
    "pipeline.duplicates.count == 0",
    "pipeline.failed.count == 0",
    "probe.failed_attempts.last > 0",
]


@task
async def enqueue(ctx: Ctx) -> None:
    job = {"payload": f"job {ctx.vu.iteration}", "fail_rate": 0.5}
    r = await ctx.http.post("/jobs", json=job, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

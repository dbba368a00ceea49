"""Seed 000, "Crash Recovery: kill core mid-execution": at 6 s the queue's API (the core every job is written
through) is SIGKILLed and started again; at 12 s a worker is killed in the middle of its jobs (the writer of
their results) and not replaced. Requests fail while the core is down (connection refused: rejected, never
accepted); every job it accepted is done exactly once, the dead writer's included.

    loadpulse run examples/005_chaos/crash_recovery.py -u http://127.0.0.1:8005
"""

from __future__ import annotations

from chaos_settings import API, PIPELINE, WORKERS, api_command

from loadpulse import Ctx, task

profile = {"profile": "constant-rate", "rate": 50, "duration": "25s", "max_vus": 50}
pipeline = PIPELINE
faults = [
    {"name": "kill-core", "at": "6s", "kill": API, "restart": api_command(), "settle": "2s"},
    {"name": "kill-writer", "at": "12s", "kill": f"random {WORKERS}", "settle": "2s"},
]
thresholds = [
    "p95 < 250ms",  # the enqueue's objective: recovery is judged on it (and on the backlog draining)
    "pipeline.lost.count == 0",
    "pipeline.duplicates.count == 0",
    "recovery{fault=kill-core}.max < 10s",
    "recovery{fault=kill-writer}.max < 10s",
]


@task
async def enqueue(ctx: Ctx) -> None:
    r = await ctx.http.post("/jobs", json={"payload": f"job {ctx.vu.iteration}"}, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

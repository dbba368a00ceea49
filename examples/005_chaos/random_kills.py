"""Seed 000, "Chaos Test: kill workers randomly": SIGKILL one worker at random every 6 s, 4 times
(CHAOS_KILL_EVERY, CHAOS_KILLS), and start a new one each time, while jobs arrive at 50/s. The killed
worker's jobs are moved back to the queue by the others once its heartbeat expires; each job must still
be done exactly once.

    loadpulse run examples/005_chaos/random_kills.py -u http://127.0.0.1:8005

| What to watch                         | objective below                                             |
|---------------------------------------|-------------------------------------------------------------|
| No job lost when a worker dies        | pipeline.lost.count == 0 (and none stuck in a dead worker)  |
| No job done twice                     | pipeline.duplicates.count == 0                              |
| Healthy again soon after each kill    | recovery.max < 10s (the console's faults table, per kill)   |
"""

from __future__ import annotations

from chaos_settings import KILL_EVERY, KILLS, PIPELINE, WORKERS, worker_command

from loadpulse import Ctx, task

profile = {"profile": "constant-rate", "rate": 50, "duration": "30s", "max_vus": 50}
pipeline = PIPELINE
faults = [
    # settle: 2 s of healthy intervals after a kill count as recovered (the default is 5 s)
    {"name": "kill-worker", "every": KILL_EVERY, "count": KILLS, "kill": f"random {WORKERS}",
     "restart": worker_command(), "settle": "2s"},
]  # fmt: skip
thresholds = [
    "p95 < 250ms",  # the enqueue's objective: recovery is judged on it (and on the backlog draining)
    "pipeline.lost.count == 0",
    "pipeline.duplicates.count == 0",
    "pipeline.stuck.count == 0",
    "recovery.max < 10s",
]


@task
async def enqueue(ctx: Ctx) -> None:
    r = await ctx.http.post("/jobs", json={"payload": f"job {ctx.vu.iteration}"}, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

"""Seed 000, "Network Test: add artificial latency": the workers reach Redis through loadpulse's fault proxy
(127.0.0.1:6391, CHAOS_PROXY_PORT); from 5 s to 11 s every Redis reply to them is 50 ms late. They fall
behind, the backlog grows, and the recovery time is how long it takes to drain once the latency is gone.
Start the workers with --redis redis://127.0.0.1:6391/0 (the proxy is up once the run starts; until then
they retry).

    loadpulse run examples/005_chaos/db_latency.py -u http://127.0.0.1:8005
"""

from __future__ import annotations

from chaos_settings import PIPELINE, PROXY_PORT, redis_address

from loadpulse import Ctx, task

profile = {"profile": "constant-rate", "rate": 50, "duration": "25s", "max_vus": 50}
pipeline = PIPELINE
proxies = {"redis": {"listen": f"127.0.0.1:{PROXY_PORT}", "upstream": redis_address()}}
faults = [
    {"name": "db-latency", "at": "5s", "for": "6s", "proxy": "redis", "latency": "50ms", "settle": "3s"}
]
thresholds = [
    "p95 < 250ms",  # the enqueue's objective: recovery is judged on it (and on the backlog draining)
    "pipeline.lost.count == 0",
    "pipeline.duplicates.count == 0",
    "recovery{fault=db-latency}.max < 15s",
]


@task
async def enqueue(ctx: Ctx) -> None:
    r = await ctx.http.post("/jobs", json={"payload": f"job {ctx.vu.iteration}"}, name="enqueue")
    if ctx.check(r.status == 202, "enqueued"):
        ctx.track(r.json()["id"], since=r)

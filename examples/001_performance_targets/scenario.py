"""Seed 001's "Performance Targets" table as loadpulse thresholds, against the demo target.

    loadpulse target demo --port 8000 &
    loadpulse run examples/001_performance_targets/scenario.py --base-url http://127.0.0.1:8000

| Metric          | Target       | Acceptable  | Critical     |   ->  objective below
|-----------------|--------------|-------------|--------------|
| Queue time P95  | < 10ms       | < 20ms      | > 20ms       |   http{name=store}.p95
| Queue time P99  | < 20ms       | < 50ms      | > 50ms       |   http{name=store}.p99
| Throughput      | 100+ ops/sec | 50+ ops/sec | < 50 ops/sec |   requests{name=store}.rate
| Queue size      | < 100        | < 500       | > 500        |   queue_length.max (from /health)
| Success rate    | > 99.9%      | > 99%       | < 99%        |   checks{name=stored}.rate

"Critical" in the table is where "acceptable" stops holding, so each objective gives target and
acceptable: between them is WARN, past acceptable is FAIL.
"""

from __future__ import annotations

from loadpulse import Ctx, task

# Seed 001's sustained load: a new conversation every 100 ms would be 10/s; the targets ask for 100+ ops/s.
profile = {"profile": "constant-rate", "rate": 120, "duration": "30s", "max_vus": 100}

metrics = {"queue_length": "trend"}

thresholds = [
    "http{name=store}.p95: target<10ms acceptable<20ms",
    "http{name=store}.p99: target<20ms acceptable<50ms",
    "requests{name=store}.rate: target>=100/s acceptable>=50/s",
    "queue_length.max: target<100 acceptable<500",
    "checks{name=stored}.rate: target>99.9% acceptable>99%",
]


@task(weight=9)
async def store(ctx: Ctx) -> None:
    r = await ctx.http.post(
        "/api/messages",
        json={"user_id": ctx.vu.id, "channel_id": 1, "content": f"conversation {ctx.vu.iteration}"},
        name="store",
    )
    ctx.check(r.status == 202, "stored")


@task(weight=1)
async def queue(ctx: Ctx) -> None:
    r = await ctx.http.get("/health", name="health")
    if r.ok:
        ctx.trend("queue_length", r.json()["queue_length"])

"""What seed 004's load tests share: the randomized message, where the messages show up (the PostgreSQL
sink), the queue probes and the guide's targets as thresholds. The entry files (quick.py, stress.py,
extreme.py, burst.py) each add a profile and their row of the guide's "Expected Results".

The target's addresses come from the environment, the same variables ``target.py`` reads:
``INGESTOR_DATABASE_URL`` (default postgresql://ingestor@127.0.0.1:5432/messages_db) and
``INGESTOR_REDIS_URL`` (default redis://127.0.0.1:6379/0). Not ``--env``: that reaches ``ctx.env`` in
tasks only, while a file's sink and probes are fixed when it is loaded. The API is the file's
``base_url`` (http://127.0.0.1:8000; ``--base-url`` overrides it).
"""

from __future__ import annotations

import os
import random
from typing import Any

from loadpulse import Ctx

SEND = "POST /api/messages"
QUEUE = "pending_messages"
WORDS = (
    "hello", "status", "update", "deploy", "review", "lunch", "meeting", "ticket", "incident", "release",
    "coffee", "merge", "build", "green", "later", "thanks", "ping", "sync", "draft", "ship",
)  # fmt: skip
LOOKBACK_S = 5
"""How far back each poll of the sink looks behind the newest commit it has read. Workers commit
concurrently, so a batch stamped earlier can become visible after a later one: rows re-read inside this
window are not counted twice (the sink de-duplicates them), rows outside it would be missed as lost."""


def database_url() -> str:
    return os.environ.get("INGESTOR_DATABASE_URL", "postgresql://ingestor@127.0.0.1:5432/messages_db")


def redis_url() -> str:
    return os.environ.get("INGESTOR_REDIS_URL", "redis://127.0.0.1:6379/0")


def message(item: str) -> dict[str, Any]:
    """The guide's randomized message: user 1-10,000, channel 1-100, random content with a unique suffix.
    The suffix is the tracked id, so the row in PostgreSQL names the item without a schema change."""
    words = " ".join(random.choices(WORDS, k=random.randint(3, 12)))
    return {
        "user_id": random.randint(1, 10_000),
        "channel_id": random.randint(1, 100),
        "content": f"{words} #{item}",
    }


async def send_message(ctx: Ctx) -> None:
    item = ctx.track()
    r = await ctx.http.post("/api/messages", json=message(item), name=SEND)
    ctx.check(r.status == 202, "queued")


def pipeline_check(since: float) -> dict[str, Any]:
    """The sink: this run's rows of ``messages``, ``at`` = the commit time, so e2e is send -> DB commit.

    ``since`` (epoch seconds, the scenario's load time) scopes it to this run: messages of earlier runs
    against the same table are not this run's (they would count as unexpected)."""
    query = (
        "SELECT split_part(content, ' #', 2) AS id, committed_at AS at, worker FROM messages "
        f"WHERE committed_at >= GREATEST(:since - interval '{LOOKBACK_S} seconds', to_timestamp({since:.6f}))"
    )
    return {"sink": f"sql:{database_url()}#{query}", "drain_timeout": "30s"}


def target_probes(since: float) -> dict[str, str]:
    """Sampled every second: the queue depth (the guide's ``LLEN pending_messages``), the p95 latency the
    worker itself publishes for the dashboard (last 100 messages, API receipt -> commit), and the guide's
    "distribution by channel" over this run's rows (a group probe: per channel, and its imbalance)."""
    per_channel = (
        "SELECT channel_id, count(*) FROM messages "
        f"WHERE committed_at >= to_timestamp({since:.6f}) GROUP BY channel_id"
    )
    return {
        "queue_depth": f"redis:{redis_url()}#LLEN {QUEUE}",
        "worker_p95_ms": f"redis:{redis_url()}#GET p95_latency_ms",
        "per_channel": f"sql:{database_url()}#{per_channel}",
    }


def guide_targets(
    *,
    success_pct: float,
    e2e_p95: str,
    throughput: float | None = None,
    channel_imbalance_pct: float | None = None,
) -> list[str]:
    """One row of the guide's "Expected Results" as thresholds, plus what "100 % delivered" means.

    ``channel_imbalance_pct``: how far the busiest or idlest channel may be from an even share. Channels
    are drawn at random, so only enough messages per channel make a bound fair: at 500 per channel
    (extreme) 20 % is 4.5 standard deviations; at 100 (stress) it is 2, and a healthy run would fail."""
    extra = [] if throughput is None else [f"requests{{name={SEND}}}.rate >= {throughput:g}/s"]  # msg/s
    if channel_imbalance_pct is not None:
        extra.append(f"probe.per_channel.imbalance < {channel_imbalance_pct:g}%")
    return [
        f"checks{{name=queued}}.rate > {success_pct}%",  # success rate
        f"pipeline.e2e.p95 < {e2e_p95}",  # latency, send -> DB commit
        "pipeline.lost.count == 0",  # every accepted message reached the table
        "pipeline.duplicates.count == 0",  # and only once
        "probe.queue_depth.last == 0",  # the queue drained (no "Queue Building Up")
        *extra,
    ]

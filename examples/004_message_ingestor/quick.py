"""Seed 004's Quick Test: 1,000 messages, 50 concurrent (``load_test.py --quick``).

    loadpulse run examples/004_message_ingestor/quick.py

The guide expects: duration ~5-10 s, throughput 100-200 msg/s, success > 99 %, avg latency < 100 ms,
P95 latency < 200 ms. Latency there is end to end, API receipt -> DB commit: here ``pipeline.e2e.p95``,
from each message's send to its row's commit time. Every accepted message must be in the table, once.
"""

from __future__ import annotations

import time

from ingest_load import guide_targets, pipeline_check, send_message, target_probes

from loadpulse import Ctx, task

base_url = "http://127.0.0.1:8000"
profile = "quick"  # shared-iterations: 1,000 iterations on 50 VUs
since = time.time()  # this run's messages are those committed from now on
pipeline = pipeline_check(since)
probes = target_probes(since)
thresholds = guide_targets(success_pct=99, throughput=100, e2e_p95="200ms")


@task
async def post_message(ctx: Ctx) -> None:
    await send_message(ctx)

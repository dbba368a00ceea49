"""Seed 004's Stress Test: 10,000 messages, 200 concurrent (``load_test.py --stress``).

    loadpulse run examples/004_message_ingestor/stress.py

The guide expects: duration ~30-60 s, throughput 200-400 msg/s, success > 99 %, avg latency < 200 ms,
P95 latency < 500 ms (end to end, API receipt -> DB commit). Its sustained test is this file with
``--iterations 100000``.
"""

from __future__ import annotations

import time

from ingest_load import guide_targets, pipeline_check, send_message, target_probes

from loadpulse import Ctx, task

base_url = "http://127.0.0.1:8000"
profile = "stress"  # shared-iterations: 10,000 iterations on 200 VUs
since = time.time()  # this run's messages are those committed from now on
pipeline = pipeline_check(since)
probes = target_probes(since)
thresholds = guide_targets(success_pct=99, throughput=200, e2e_p95="500ms")


@task
async def post_message(ctx: Ctx) -> None:
    await send_message(ctx)

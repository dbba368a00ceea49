"""Seed 004's Extreme Test: 50,000 messages, 500 concurrent (``load_test.py --extreme``).

    loadpulse run examples/004_message_ingestor/extreme.py

The guide expects: duration ~2-5 min, throughput 300-600 msg/s, success > 98 %, avg latency < 500 ms,
P95 latency < 1000 ms (end to end, API receipt -> DB commit). With 500 messages per channel, the
guide's "distribution by channel" is judged too: no channel more than 20 % off an even share.
"""

from __future__ import annotations

import time

from ingest_load import guide_targets, pipeline_check, send_message, target_probes

from loadpulse import Ctx, task

base_url = "http://127.0.0.1:8000"
profile = "extreme"  # shared-iterations: 50,000 iterations on 500 VUs
since = time.time()  # this run's messages are those committed from now on
pipeline = pipeline_check(since)
probes = target_probes(since)
thresholds = guide_targets(success_pct=98, throughput=300, e2e_p95="1s", channel_imbalance_pct=20)


@task
async def post_message(ctx: Ctx) -> None:
    await send_message(ctx)

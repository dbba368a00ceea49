"""Seed 004's Burst Load Test: traffic spikes the queue must absorb and then drain.

    loadpulse run examples/004_message_ingestor/burst.py

The guide sends 5,000 messages at 500 concurrent, waits 30 s, and sends another 5,000; the dashboard
should show a sharp spike in throughput, a quick queue drain and a return to baseline. Here the ``burst``
preset: 5,000 messages at 500/s, a 20 s pause, three times (open model: arrivals on schedule, whatever the
target does). Verdicts: every message stored once, the queue empty at the end, the last message stored
within 10 s of the last burst, and the extreme test's end-to-end P95 (< 1 s, the same concurrency).
"""

from __future__ import annotations

import time

from ingest_load import guide_targets, pipeline_check, send_message, target_probes

from loadpulse import Ctx, task

base_url = "http://127.0.0.1:8000"
profile = "burst"  # ramping-rate: 500/s for 10 s, 20 s at 0, three times
since = time.time()  # this run's messages are those committed from now on
pipeline = pipeline_check(since)
probes = target_probes(since)
thresholds = [*guide_targets(success_pct=98, e2e_p95="1s"), "pipeline.drain < 10s"]


@task
async def post_message(ctx: Ctx) -> None:
    await send_message(ctx)

"""Seed 002 (OpenTrail's SQLite batching load test): writers and readers straight against SQLite, no HTTP.

    loadpulse run examples/002_sqlite_batching/scenario.py -d 60s --vus 15 \\
        -e writers=10 -e readers=5 -e batch_size=100

The guide's `./loadtest` flags are `--env` values (see README.md for every test of the guide):

| loadtest flag     | here                         | default                                   |
|-------------------|------------------------------|-------------------------------------------|
| `-duration`       | `-d/--duration`              | 60s                                       |
| `-writers`        | `-e writers=N`               | 10                                        |
| `-readers`        | `-e readers=N`               | 5                                         |
| (writers+readers) | `--vus N`                    | 15                                        |
| `-batch-size`     | `-e batch_size=N`            | 100                                       |
| `-batch-timeout`  | `-e batch_timeout=10ms`      | 10ms                                      |
| `-queue-size`     | `-e queue_size=N`            | 10000                                     |
| `-db`             | `-e db=PATH`                 | loadtest.db in a fresh temp dir (removed) |
| `-metrics-port`   | `--prometheus PORT`          |                                           |

VUs are split between the two roles in the ratio writers:readers (exactly W writers and R readers when
`--vus` is W + R): `--env` reaches the tasks, not the profile, so the VU count is `--vus`.

The guide's "Performance Targets", as thresholds:

| target                         | threshold                                                    |
|--------------------------------|--------------------------------------------------------------|
| Write throughput 5000+ TPS     | requests{name=write}.rate: target>=5000/s acceptable>=700/s  |
|   (700-1000+ in its own tests) |   (between the two: WARN)                                    |
| Write latency P95 < 100ms      | http{name=write}.p95 < 100ms                                 |
| Write latency P99 < 200ms      | http{name=write}.p99 < 200ms                                 |
| Queue utilization < 80%        | probe.store.queue_utilization.max < 80%                      |
| Error rate < 1%                | errors.rate < 1%   (writes and reads; a full queue and a     |
|                                |   write timeout are errors, by exception type)               |
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from batching_store import BatchingStore

from loadpulse import Ctx, SetupCtx, task
from loadpulse.units import parse_duration

profile = {"profile": "constant-vus", "vus": 15, "duration": "60s"}

thresholds = [
    "requests{name=write}.rate: target>=5000/s acceptable>=700/s",
    "http{name=write}.p95 < 100ms",
    "http{name=write}.p99 < 200ms",
    "probe.store.queue_utilization.max < 80%",
    "errors.rate < 1%",
]

STORE: BatchingStore | None = None
"""The store under test, opened by setup(); the probe reads its queue from here."""


def store_stats() -> dict[str, float]:
    """The guide's queue and batch metrics, sampled once a second (zeros before setup() opened it)."""
    if STORE is None:
        return {"queue_utilization": 0.0, "batches": 0.0, "rows": 0.0, "queue_full": 0.0}
    return STORE.stats()


probes = {"store": store_stats}


def _count(env: dict[str, str], key: str, default: int, least: int = 0) -> int:
    raw = env.get(key, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"--env {key}={raw!r} is not a whole number") from None
    if value < least:
        raise ValueError(f"--env {key}={value} must be at least {least}")
    return value


def setup(ctx: SetupCtx) -> dict[str, Any]:
    global STORE
    env = ctx.env
    writers, readers = _count(env, "writers", 10), _count(env, "readers", 5)
    if writers + readers == 0:
        raise ValueError("--env writers=0 and readers=0 leave nothing to do")
    own_dir = None if env.get("db") else tempfile.mkdtemp(prefix="loadpulse-002-")
    path = env.get("db") or str(Path(own_dir or ".") / "loadtest.db")
    STORE = BatchingStore(
        path,
        batch_size=_count(env, "batch_size", 100, least=1),
        batch_timeout_s=parse_duration(env.get("batch_timeout", "10ms"), "--env batch_timeout"),
        queue_size=_count(env, "queue_size", 10_000, least=1),
    )
    return {"writers": writers, "readers": readers, "db": path, "own_dir": own_dir}


def teardown(ctx: SetupCtx, data: dict[str, Any]) -> None:
    if STORE is not None:
        STORE.close()  # kept: the probe's last sample (after the load) still reads its counts
    if data["own_dir"]:
        shutil.rmtree(data["own_dir"], ignore_errors=True)


def is_writer(vu: int, writers: int, readers: int) -> bool:
    """VU ``vu`` (from 1) writes when the writers' share of VUs 1..vu goes up at it: any number of VUs
    is split writers:readers, and VUs 1..W+R hold exactly W writers."""
    total = writers + readers
    return vu * writers // total > (vu - 1) * writers // total


@task
async def work(ctx: Ctx) -> None:
    store, data = STORE, ctx.data
    assert store is not None, "setup() opens the store"
    if is_writer(ctx.vu.id, data["writers"], data["readers"]):
        async with ctx.timed("write"):
            await store.write(ctx.vu.id, f"log line {ctx.vu.iteration} from writer {ctx.vu.id}")
    else:
        await ctx.call("read", store.read_recent, 100)

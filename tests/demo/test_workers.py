"""The demo target's worker pool against a real SQLite file: turns, batches and each pipeline knob."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from loadpulse.demo.knobs import Knobs
from loadpulse.demo.store import SINK_QUERY, MessageStore
from loadpulse.demo.workers import WorkerPool


def rows(db: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT id, worker, status FROM messages ORDER BY seq"))


async def feed(
    pool: WorkerPool, n: int, per_tick: int = 20, tick_s: float = 0.002, settle: bool = True
) -> list[int]:
    """``n`` items at a steady pace (like requests arriving), then wait until nothing is queued or held."""
    ids: list[int] = []
    while len(ids) < n:
        ids += [pool.accept('{"x":1}') for _ in range(min(per_tick, n - len(ids)))]
        await asyncio.sleep(tick_s)
    for _ in range(500 if settle else 0):
        if not pool.queued:
            break
        await asyncio.sleep(0.01)
    return ids


def run_pool(db: Path, knobs: Knobs, n: int, workers: int = 4, batch_size: int = 25) -> WorkerPool:
    async def main() -> WorkerPool:
        store = MessageStore(db)
        pool = WorkerPool(store, knobs, workers=workers, batch_size=batch_size, flush_interval_s=0.005)
        pool.start()
        try:
            await feed(pool, n)
        finally:
            await pool.stop()
            store.close()
        return pool

    return asyncio.run(main())


def test_idle_workers_take_turns_and_share_items_evenly(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    pool = run_pool(db, Knobs(), 2000)
    stored = rows(db)
    assert sorted(i for i, _, _ in stored) == list(range(1, 2001))  # every item once
    assert {s for _, _, s in stored} == {"done"}
    counts = pool.by_worker
    assert set(counts) == {"worker-1", "worker-2", "worker-3", "worker-4"}
    assert sum(counts.values()) == 2000
    assert max(counts.values()) - min(counts.values()) <= 2 * 25  # at most two batches apart
    assert pool.health() == {"queue_length": 0, "in_flight": 0, "stored": 2000, "workers": counts}


def test_lost_duplicated_and_stuck_items(tmp_path: Path) -> None:
    for knob, check in (
        ("loss_rate", lambda stored, n: stored == []),
        (
            "duplicate_rate",
            lambda stored, n: sorted(i for i, _, _ in stored) == sorted(2 * list(range(1, n + 1))),
        ),
        ("stuck_rate", lambda stored, n: [s for _, _, s in stored] == ["running"] * n),
    ):
        db = tmp_path / f"{knob}.db"
        pool = run_pool(db, Knobs(**{knob: 1.0}), 300)
        assert check(rows(db), 300), knob
        assert pool.lost == (300 if knob == "loss_rate" else 0)


def test_rates_split_the_items(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    run_pool(db, Knobs(loss_rate=0.2, duplicate_rate=0.2, stuck_rate=0.2), 2000)
    stored = rows(db)
    ids = [i for i, _, _ in stored]
    twice = len(ids) - len(set(ids))
    lost = 2000 - len(set(ids))
    stuck = sum(s == "running" for _, _, s in stored)
    assert 300 < lost < 500 and 300 < twice < 500 and 300 < stuck < 500


def test_a_slow_worker_takes_fewer_turns(tmp_path: Path) -> None:
    pool = run_pool(tmp_path / "m.db", Knobs(slow_worker_ms=1.0), 1500)
    others = [pool.by_worker[f"worker-{i}"] for i in (2, 3, 4)]
    assert pool.by_worker["worker-1"] < min(others) / 2


def test_the_stopping_worker_holds_its_batch_then_resumes(tmp_path: Path) -> None:
    db = tmp_path / "m.db"

    async def main() -> tuple[list[int], list[int], dict[str, int]]:
        store = MessageStore(db)
        pool = WorkerPool(store, Knobs(stop_worker_s=0.5), workers=2, batch_size=10, flush_interval_s=0.005)
        pool.start()
        try:
            await feed(pool, 40, per_tick=10, tick_s=0.02, settle=False)
            await asyncio.sleep(0.1)
            held = sorted(pool.queued)  # worker-2's first batch, not stored while it is stopped
            await asyncio.sleep(0.6)
            await feed(pool, 40, per_tick=10, tick_s=0.02)
            return held, sorted(pool.queued), dict(pool.by_worker)
        finally:
            await pool.stop()
            store.close()

    held, after, counts = asyncio.run(main())
    assert len(held) == 10 and after == []
    assert counts["worker-2"] >= 10  # it resumed: its held batch was stored, then it took turns again
    stored = rows(db)
    assert {w for i, w, _ in stored if i in held} == {"worker-2"}
    assert len(stored) == 80


def test_the_sink_query_reads_ids_persist_times_and_workers(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    run_pool(db, Knobs(), 50)
    with sqlite3.connect(db) as conn:
        cur = conn.execute(SINK_QUERY, {"since": 0})
        assert [c[0] for c in cur.description] == ["id", "at", "worker", "status"]
        assert len(cur.fetchall()) == 50

"""The demo target's pipeline behind the API: an in-memory queue drained by N worker tasks, each storing the
batches it takes into SQLite with its name (seed 000's job queue, seed 004's batching ingestor).

Workers take turns (a FIFO lock): the one whose turn it is waits until a full batch is queued or
``flush_interval_s`` passed, takes it and goes off to store it while the next one collects. So idle workers
share the items evenly, and a worker that is busy longer (slow, stopped) takes fewer turns: that is what
the pipeline check's fairness sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from typing import Any

from loadpulse.demo.knobs import Fate, Knobs
from loadpulse.demo.store import Message, MessageStore, Row

SHUTDOWN_DRAIN_S = 2.0
"""On shutdown, how long workers may go on storing what is queued before they are cancelled."""


class WorkerPool:
    def __init__(
        self,
        store: MessageStore,
        knobs: Knobs,
        workers: int = 4,
        batch_size: int = 100,
        flush_interval_s: float = 0.05,
        seed: int = 0,
    ) -> None:
        self.store = store
        self.knobs = knobs
        self.names = [f"worker-{i + 1}" for i in range(workers)]
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.pending: deque[Message] = deque()
        self.queued: dict[int, Message] = {}
        """Accepted and not stored (or dropped) yet, by id: what GET answers with stored false."""
        self.next_id = 1
        self.by_worker = dict.fromkeys(self.names, 0)
        self.lost = 0
        self._rng = random.Random(seed)
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._turn = asyncio.Lock()
        self._busy = 0
        self._stop_armed = knobs.stop_worker_s > 0
        self._tasks: list[asyncio.Task[None]] = []

    def accept(self, payload: str) -> int:
        """Queue one item (the API's 202); returns its id. Called once per request: kept small."""
        msg = Message(self.next_id, payload, time.time())
        self.next_id += 1
        self.pending.append(msg)
        self.queued[msg.id] = msg
        self._arrived.set()
        if len(self.pending) >= self.batch_size:
            self._full.set()
        return msg.id

    def arm_stop(self) -> None:
        """The stopping worker stops with the next batch it takes (stop_worker_s was set again)."""
        self._stop_armed = self.knobs.stop_worker_s > 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(i, name)) for i, name in enumerate(self.names)]

    async def stop(self) -> None:
        """Let the workers store what is queued (up to SHUTDOWN_DRAIN_S), then cancel them."""
        deadline = time.monotonic() + SHUTDOWN_DRAIN_S
        while (self.pending or self._busy) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def health(self) -> dict[str, Any]:
        return {
            "queue_length": len(self.pending),
            "in_flight": len(self.queued) - len(self.pending),
            "stored": self.store.stored,
            "workers": dict(self.by_worker),
        }

    async def _take(self) -> list[Message]:
        """This worker's turn: wait for items, let a batch gather (up to flush_interval_s), take it."""
        async with self._turn:
            while not self.pending:
                self._arrived.clear()
                await self._arrived.wait()
            if len(self.pending) < self.batch_size:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.flush_interval_s)
            n = min(self.batch_size, len(self.pending))
            self._busy += 1
            return [self.pending.popleft() for _ in range(n)]

    async def _work(self, index: int, name: str) -> None:
        last = len(self.names) - 1
        while True:
            batch = await self._take()
            try:
                knobs = self.knobs
                if index == last and self._stop_armed:
                    self._stop_armed = False
                    await asyncio.sleep(knobs.stop_worker_s)
                if index == 0 and knobs.slow_worker_ms:
                    await asyncio.sleep(knobs.slow_worker_ms * len(batch) / 1000.0)
                rows = self._rows(batch, name)
                if rows:
                    await asyncio.to_thread(self.store.write, rows)
            finally:
                self._busy -= 1
                for msg in batch:
                    self.queued.pop(msg.id, None)

    def _rows(self, batch: list[Message], name: str) -> list[Row]:
        knobs = self.knobs
        if not knobs.mangles:
            self.by_worker[name] += len(batch)
            return [(m.id, m.payload, name, "done", m.received_at) for m in batch]
        rows: list[Row] = []
        for m in batch:
            fate = knobs.fate(self._rng)
            if fate is Fate.LOST:
                self.lost += 1
                continue
            self.by_worker[name] += 1
            status = "running" if fate is Fate.STUCK else "done"
            rows.append((m.id, m.payload, name, status, m.received_at))
            if fate is Fate.TWICE:
                rows.append((m.id, m.payload, name, status, m.received_at))
        return rows

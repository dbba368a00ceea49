"""The system seed 002 load-tests, in small: a SQLite log store that batches writes.

Writers hand a record to a bounded queue and wait until the batch holding it is committed; one batcher
thread takes up to ``batch_size`` records (or what arrived within ``batch_timeout_s`` of the first) and
inserts them in one transaction. Readers query the same file on their own connections (WAL mode lets
them read while the batcher writes). A full queue refuses a write at once (``QueueFull``, the guide's
"queue full errors"); a write not committed within ``write_timeout_s`` fails (``WriteTimeout``).

Nothing here knows about loadpulse: the scenario measures it from outside, as it would a real SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    writer INTEGER NOT NULL,
    message TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


class QueueFull(Exception):
    """The write queue is full: the write is refused, not queued."""


class WriteTimeout(Exception):
    """The write's batch was not committed in time."""


Pending = tuple[int, str, float, "asyncio.Future[None]", asyncio.AbstractEventLoop]


class BatchingStore:
    def __init__(
        self,
        path: str,
        batch_size: int = 100,
        batch_timeout_s: float = 0.01,
        queue_size: int = 10_000,
        write_timeout_s: float = 5.0,
    ) -> None:
        self.path = path
        self.batch_size = batch_size
        self.batch_timeout_s = batch_timeout_s
        self.write_timeout_s = write_timeout_s
        self.queue_size = queue_size
        self._queue: queue.Queue[Pending] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.batches = 0
        self.rows = 0
        self.queue_full = 0
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(SCHEMA)
        conn.close()
        self._thread = threading.Thread(target=self._run, name="batcher", daemon=True)
        self._thread.start()

    async def write(self, writer: int, message: str) -> None:
        """Queue one record and wait until its batch is committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        try:
            self._queue.put_nowait((writer, message, time.time(), done, loop))
        except queue.Full:
            self.queue_full += 1
            raise QueueFull(f"write queue full ({self.queue_size:,} records)") from None
        try:
            await asyncio.wait_for(done, self.write_timeout_s)
        except TimeoutError:
            raise WriteTimeout(f"not committed within {self.write_timeout_s:g} s") from None

    def read_recent(self, limit: int = 100) -> list[tuple[Any, ...]]:
        """The latest ``limit`` records (blocking: call it from a thread, e.g. ``ctx.call``)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn.execute(
            "SELECT id, writer, message FROM logs ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()

    def stats(self) -> dict[str, float]:
        """What the guide's Prometheus endpoint exposes: queue utilization (0-1), batches, rows."""
        return {
            "queue_utilization": self._queue.qsize() / self.queue_size,
            "batches": float(self.batches),
            "rows": float(self.rows),
            "queue_full": float(self.queue_full),
        }

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def _take_batch(self) -> list[Pending]:
        """Up to batch_size records: the first one, then whatever arrives within batch_timeout_s."""
        try:
            batch = [self._queue.get(timeout=0.05)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_timeout_s
        while len(batch) < self.batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        conn = sqlite3.connect(self.path)
        try:
            while not (self._stop.is_set() and self._queue.empty()):
                batch = self._take_batch()
                if not batch:
                    continue
                error: Exception | None = None
                try:
                    with conn:
                        conn.executemany(
                            "INSERT INTO logs (writer, message, created_at) VALUES (?, ?, ?)",
                            [(w, m, at) for w, m, at, _, _ in batch],
                        )
                    self.batches += 1
                    self.rows += len(batch)
                except sqlite3.Error as exc:
                    error = exc
                _settle(batch, error)
        finally:
            conn.close()


def _settle(batch: Iterable[Pending], error: Exception | None) -> None:
    """Wake each writer of the batch on its own event loop: one hand-over per loop, not per record."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for *_, done, loop in batch:
        by_loop.setdefault(loop, []).append(done)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: the run is over, nobody waits
            loop.call_soon_threadsafe(_resolve, futures, error)


def _resolve(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for f in futures:
        if f.done():  # its writer timed out and left
            continue
        if error is None:
            f.set_result(None)
        else:
            f.set_exception(error)

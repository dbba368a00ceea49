"""In-memory queue drained into SQLite in batches by a background writer (seed 004's ingestor shape)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL,
    stored_at REAL NOT NULL
)
"""


@dataclass(slots=True)
class Message:
    id: int
    payload: str
    received_at: float


class MessageStore:
    """Accepts messages at once; a writer task persists them in batches of up to ``batch_size``."""

    def __init__(self, db_path: Path, batch_size: int = 100, flush_interval_s: float = 0.05) -> None:
        self.db_path = db_path
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.pending: deque[Message] = deque()
        self.pending_by_id: dict[int, Message] = {}
        self.next_id = 1
        self.stored = 0
        self._db = sqlite3.connect(db_path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)
        self._db.commit()
        self._wake = asyncio.Event()

    def accept(self, payload: str) -> int:
        msg = Message(self.next_id, payload, time.time())
        self.next_id += 1
        self.pending.append(msg)
        self.pending_by_id[msg.id] = msg
        if len(self.pending) >= self.batch_size:
            self._wake.set()
        return msg.id

    def get(self, message_id: int) -> dict[str, Any] | None:
        msg = self.pending_by_id.get(message_id)
        if msg is not None:
            return {"id": msg.id, "payload": msg.payload, "stored": False}
        row = self._db.execute("SELECT id, payload FROM messages WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else {"id": row[0], "payload": row[1], "stored": True}

    def _write(self, batch: list[Message]) -> None:
        now = time.time()
        self._db.executemany(
            "INSERT INTO messages (id, payload, received_at, stored_at) VALUES (?, ?, ?, ?)",
            [(m.id, m.payload, m.received_at, now) for m in batch],
        )
        self._db.commit()

    async def run_writer(self) -> None:
        """Flush every ``flush_interval_s`` or as soon as a full batch waits; runs until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval_s)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        while self.pending:
            n = min(self.batch_size, len(self.pending))
            batch = [self.pending[i] for i in range(n)]
            await asyncio.to_thread(self._write, batch)
            for _ in range(n):
                msg = self.pending.popleft()
                del self.pending_by_id[msg.id]
            self.stored += n

    def close(self) -> None:
        self._db.close()

"""The demo target's SQLite table: one row per stored item, with the worker that stored it and when.

``id`` is the item's id as the API gave it (not unique: a duplicated item has two rows); ``stored_at`` is
the commit time in epoch seconds, the persist time a pipeline sink reads as ``at``; ``status`` is 'done',
or 'running' for an item left stuck. The sink query ``loadpulse demo`` attaches is :data:`SINK_QUERY`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY,
        id INTEGER NOT NULL,
        payload TEXT NOT NULL,
        worker TEXT NOT NULL,
        status TEXT NOT NULL,
        received_at REAL NOT NULL,
        stored_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS messages_id ON messages (id)",
    # The sink's incremental poll reads `stored_at >= :since`: an index keeps it from scanning every row.
    "CREATE INDEX IF NOT EXISTS messages_stored_at ON messages (stored_at)",
)

SINK_QUERY = "SELECT id, stored_at AS at, worker, status FROM messages WHERE stored_at >= :since"
"""What a pipeline sink reads from the demo's database: incremental, with the persist time and worker."""


def sink_spec(db_path: Path) -> str:
    """The ``--sink`` spec for a demo target writing to ``db_path``."""
    return f"sql:sqlite:///{db_path.resolve()}#{SINK_QUERY}"


def prepare(db_path: Path) -> None:
    """Create the table (if needed) before the target says it is ready: a sink is checked right then."""
    db = sqlite3.connect(db_path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


@dataclass(slots=True)
class Message:
    id: int
    payload: str
    received_at: float


Row = tuple[int, str, str, str, float]
"""(id, payload, worker, status, received_at): one row to insert; the commit gives ``stored_at``."""


class MessageStore:
    """The table, written by the workers one batch (one transaction) at a time from worker threads and read
    by the API on its own connection."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        prepare(db_path)
        self._db = sqlite3.connect(db_path, check_same_thread=False)
        # WAL with NORMAL is still durable against a crash of the process, which is all the demo needs.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._reader = sqlite3.connect(db_path, check_same_thread=False)
        self._write_lock = threading.Lock()
        self.stored = 0

    def write(self, rows: list[Row]) -> None:
        """Insert one batch in one transaction (blocking: called in a worker thread)."""
        with self._write_lock:
            now = time.time()
            self._db.executemany(
                "INSERT INTO messages (id, payload, worker, status, received_at, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(*row, now) for row in rows],
            )
            self._db.commit()
            self.stored += len(rows)

    def get(self, message_id: int) -> dict[str, Any] | None:
        row = self._reader.execute(
            "SELECT id, payload, worker, status FROM messages WHERE id = ? ORDER BY seq LIMIT 1",
            (message_id,),
        ).fetchone()
        if row is None:
            return None
        return {"id": row[0], "payload": row[1], "stored": True, "worker": row[2], "status": row[3]}

    def close(self) -> None:
        with self._write_lock:  # a write cut off by shutdown may still be running in its thread
            self._reader.close()
            self._db.close()

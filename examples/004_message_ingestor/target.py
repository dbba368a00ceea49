"""Seed 004's message ingestor, small and real: HTTP API -> Redis list -> worker(s) -> PostgreSQL.

    python examples/004_message_ingestor/target.py --port 8000 --workers 1 \\
        --redis-url redis://127.0.0.1:6379/0 --database-url postgresql://ingestor@127.0.0.1:5432/messages_db

The URLs default to $INGESTOR_REDIS_URL and $INGESTOR_DATABASE_URL (the scenarios read the same variables).
It creates the ``messages`` table if needed, starts the API (``ingestor_api.py``, 127.0.0.1 only) and the
workers (``ingestor_worker.py``), waits until ``/health`` answers, prints one ``ready`` line and runs
until Ctrl-C or SIGTERM. Then it stops the API first (no new messages), then the workers (each commits the
batch in hand), and exits 0 with none of its processes left. Each child also ends by itself if this
launcher is killed outright. A child that dies on its own stops the rest: exit 1. A database or Redis that
cannot be reached, or a bad option, is one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType

from lifeline import LAUNCHER_PID

HERE = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgresql://ingestor@127.0.0.1:5432/messages_db"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
QUEUE = "pending_messages"
METRIC_KEYS = ("total_messages", "total_batches", "current_rps", "avg_latency_ms", "p95_latency_ms",
               "p99_latency_ms")  # fmt: skip
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id           bigserial PRIMARY KEY,
    user_id      integer     NOT NULL,
    channel_id   integer     NOT NULL,
    content      text        NOT NULL,
    worker       text        NOT NULL,
    received_at  timestamptz NOT NULL,                          -- the API received it
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp() -- written in the committing transaction
);
CREATE INDEX IF NOT EXISTS messages_committed_at ON messages (committed_at);
"""


class Unusable(Exception):
    """A database, queue or option the target cannot run with: one line for the user, exit 2."""


def prepare(database_url: str, redis_url: str, reset: bool) -> None:
    """The table exists and both services answer (``reset``: table, queue and metrics emptied)."""
    import psycopg
    import redis

    try:
        with psycopg.connect(database_url, connect_timeout=5) as db:
            db.execute(SCHEMA)
            if reset:
                db.execute("TRUNCATE messages")
    except psycopg.Error as exc:
        raise Unusable(f"PostgreSQL at {database_url!r}: {str(exc).strip().splitlines()[0]}") from None
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        client.ping()
        if reset:
            client.delete(QUEUE, *METRIC_KEYS)
        for key in METRIC_KEYS:  # a dashboard (or a probe) reads 0 before the first batch, not nothing
            client.set(key, 0, nx=True)
    except redis.RedisError as exc:
        raise Unusable(f"Redis at {redis_url!r}: {exc}") from None
    finally:
        client.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


class Target:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.url = f"http://127.0.0.1:{args.port}"
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()

    def _spawn(self, script: str, *options: str) -> subprocess.Popen[bytes]:
        # A session of its own: a Ctrl-C in the terminal reaches the launcher only, which stops the
        # children in order (API first, then the workers) instead of all at once.
        return subprocess.Popen(
            [sys.executable, str(HERE / script), *options],
            cwd=HERE,
            start_new_session=True,
            env={**os.environ, LAUNCHER_PID: str(os.getpid())},
        )

    def start(self) -> None:
        a = self.args
        for i in range(1, a.workers + 1):
            options = [
                *("--name", f"worker-{i}", "--redis-url", a.redis_url, "--database-url", a.database_url),
                *("--batch-size", str(a.batch_size), "--batch-timeout", str(a.batch_timeout)),
            ]
            self.workers.append(
                self._spawn("ingestor_worker.py", *options, *(["--log-batches"] * a.log_batches))
            )
        self.api = self._spawn("ingestor_api.py", "--port", str(a.port), "--redis-url", a.redis_url)

    def name(self, child: subprocess.Popen[bytes]) -> str:
        return "the API" if child is self.api else f"worker-{self.workers.index(child) + 1}"

    def children(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.api, *self.workers) if p is not None]

    def dead_child(self) -> subprocess.Popen[bytes] | None:
        return next((p for p in self.children() if p.poll() is not None), None)

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.stopping.is_set() and time.monotonic() < deadline:
            if self.dead_child() is not None:
                return False
            if _healthy(self.url + "/health"):
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """API first, so nothing new is accepted while the workers commit what they hold."""
        for group in ([self.api] if self.api else [], self.workers):
            for p in group:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            for p in group:
                try:
                    p.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Seed 004's message ingestor (API -> Redis -> workers -> PostgreSQL) on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8000, help="API port on 127.0.0.1 (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--batch-size", type=int, default=50, help="messages per batch (default 50)")
    parser.add_argument(
        "--batch-timeout", type=float, default=0.05, help="seconds a batch waits to fill (default 0.05)"
    )
    parser.add_argument("--redis-url", default=os.environ.get("INGESTOR_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--database-url", default=os.environ.get("INGESTOR_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--reset", action="store_true", help="empty the table, the queue and the metrics first"
    )
    parser.add_argument("--log-batches", action="store_true", help="workers print one line per batch")
    args = parser.parse_args(argv)
    for name in ("workers", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < args.port < 65536:
        parser.error("--port must be 1..65535")
    if args.batch_timeout <= 0:
        parser.error("--batch-timeout must be more than 0 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        prepare(args.database_url, args.redis_url, args.reset)
    except Unusable as exc:
        print(f"target.py: {exc}", file=sys.stderr)
        return 2
    target = Target(args)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        target.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    code = 0
    try:
        target.start()
        if not target.wait_ready() and not target.stopping.is_set():
            dead = target.dead_child()
            why = f"{target.name(dead)} exited with {dead.returncode}" if dead else "no answer"
            print(f"target.py: {target.url}/health did not answer ({why}); stopping", file=sys.stderr)
            return 1
        if not target.stopping.is_set():
            print(
                f"ready: message ingestor on {target.url} (API pid {target.api.pid if target.api else '?'}, "
                f"{args.workers} worker(s)); Ctrl-C stops it",
                flush=True,
            )
        while not target.stopping.is_set():
            dead = target.dead_child()
            if dead is not None:
                print(
                    f"target.py: {target.name(dead)} exited with {dead.returncode}; stopping", file=sys.stderr
                )
                code = 1
                break
            target.stopping.wait(0.2)
    finally:
        target.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())

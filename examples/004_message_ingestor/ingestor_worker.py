"""The worker of the example target: takes messages from the Redis list in batches and writes each batch
to PostgreSQL in one transaction (seed 004's worker, BATCH_SIZE and BATCH_TIMEOUT included).

Started by ``target.py`` (``--workers N`` of them, like ``docker-compose up --scale worker=N``). A batch is
up to ``--batch-size`` messages, gathered for at most ``--batch-timeout`` seconds after its first one.
Each row keeps ``received_at`` (the API's receipt) and ``committed_at`` (``clock_timestamp()`` in the
committing transaction, a few ms before the commit itself; a row is invisible to readers until then), so
end-to-end latency is receipt (or the load tester's send) to commit. After each commit the worker
publishes the guide's dashboard metrics in Redis: ``total_messages``, ``total_batches``, ``current_rps``
(10 s window) and ``avg/p95/p99_latency_ms`` over the last 100 messages.

A SIGTERM or SIGINT finishes the batch in hand (written and committed), then exits: a stop loses nothing
that left the queue. What is still in the queue stays there for the next worker.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections import deque
from types import FrameType
from typing import Any

import psycopg
import redis
from lifeline import exit_with_parent

QUEUE = "pending_messages"
Raw = bytes | str
"""A queued message as redis-py returns it (bytes unless the client decodes responses)."""
IDLE_WAIT_S = 0.5
"""How long an idle worker blocks on the queue before it looks at its stop flag again."""
RPS_WINDOW_S = 10.0
LATENCY_WINDOW = 100

INSERT = (
    "INSERT INTO messages (user_id, channel_id, content, worker, received_at) "
    "VALUES (%s, %s, %s, %s, to_timestamp(%s))"
)


class Worker:
    def __init__(self, name: str, redis_url: str, database_url: str, batch_size: int, batch_timeout_s: float):
        self.name = name
        self.log_batches = False
        self.queue = redis.Redis.from_url(redis_url)
        self.db = psycopg.connect(database_url)
        self.batch_size = batch_size
        self.batch_timeout_s = batch_timeout_s
        self.stopping = False
        self.batches = 0
        self.processed = 0
        self.latencies_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self.window_start = time.time()
        self.window_count = 0

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _pop(self, timeout_s: float) -> Raw | None:
        # Redis reads a timeout of 0 as "forever": never ask for less than 10 ms.
        got = self.queue.brpop([QUEUE], timeout=max(timeout_s, 0.01))
        return None if got is None else got[1]

    def gather(self) -> list[Raw]:
        """One batch: whatever is queued right away, then more until it is full or its time is up."""
        first = self._pop(IDLE_WAIT_S)
        if first is None:
            return []
        batch: list[Raw] = [first]
        deadline = time.monotonic() + self.batch_timeout_s
        while len(batch) < self.batch_size:
            more = self.queue.rpop(QUEUE, self.batch_size - len(batch))
            if isinstance(more, list) and more:
                batch.extend(more)
                continue
            left = deadline - time.monotonic()
            if left <= 0 or self.stopping:
                break
            item = self._pop(left)
            if item is not None:
                batch.append(item)
        return batch

    def write(self, batch: list[Raw]) -> None:
        started = time.time()
        rows: list[tuple[Any, ...]] = []
        for raw in batch:
            try:
                m = json.loads(raw)
                rows.append((m["user_id"], m["channel_id"], m["content"], self.name, m["received_at"]))
            except (ValueError, KeyError, TypeError):
                print(f"{self.name}: skipped a malformed message: {raw[:200]!r}", file=sys.stderr)
        with self.db.cursor() as cur:
            cur.executemany(INSERT, rows)
        self.db.commit()
        committed = time.time()
        self.batches += 1
        self.processed += len(rows)
        self.latencies_ms.extend((committed - row[4]) * 1000 for row in rows)
        self._publish(len(rows), committed)
        if self.log_batches:
            took = committed - started
            print(
                f"✓ {self.name} batch #{self.batches} saved: {len(rows)} messages in {took:.3f}s "
                f"({len(rows) / max(took, 1e-6):.0f} msg/s) | total processed: {self.processed}",
                flush=True,
            )

    def _publish(self, n: int, now: float) -> None:
        """The guide's dashboard metrics (its 'Redis Metrics'), shared by every worker."""
        self.window_count += n
        ordered = sorted(self.latencies_ms)
        pipe = self.queue.pipeline(transaction=False)
        pipe.incrby("total_messages", n)
        pipe.incr("total_batches")
        if now - self.window_start >= RPS_WINDOW_S:
            pipe.set("current_rps", round(self.window_count / (now - self.window_start), 2))
            self.window_start, self.window_count = now, 0
        if ordered:
            pipe.set("avg_latency_ms", round(sum(ordered) / len(ordered), 2))
            pipe.set("p95_latency_ms", round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2))
            pipe.set("p99_latency_ms", round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2))
        pipe.execute()

    def run(self) -> None:
        while not self.stopping:
            batch = self.gather()
            if batch:
                self.write(batch)
        self.db.close()
        self.queue.close()


def main() -> None:
    exit_with_parent()  # first: a launcher killed while this one starts up is noticed too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="worker-1")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--batch-timeout", type=float, default=0.05)
    parser.add_argument("--log-batches", action="store_true", help="one line per batch written")
    args = parser.parse_args()
    worker = Worker(args.name, args.redis_url, args.database_url, args.batch_size, args.batch_timeout)
    worker.log_batches = args.log_batches
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    main()

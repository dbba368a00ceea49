"""The example's job queue on Redis, shared by the API (queue_api.py) and the workers (worker.py).

Keys, all under one queue name ``Q`` so several queues can share a Redis:

- ``Q:pending``        list of job ids waiting (LPUSH in, BLMOVE out)
- ``Q:running:NAME``   the ids worker NAME holds (BLMOVE moved them there atomically)
- ``Q:alive:NAME``     the worker's heartbeat (expires ``HEARTBEAT_TTL_MS`` after its last beat)
- ``Q:job:ID``         the job (payload, fail_rate, attempts)
- ``Q:done``           stream of finished jobs: id, worker, at, status (the loadpulse sink reads it)
- ``Q:stats``          counters: failed_attempts, recovered

Exactly once: a job leaves a worker's running list and lands in ``Q:done`` in one Lua script, and only if
it was still in *that* worker's list. A worker that died (or stalled past its heartbeat) has its list moved
back to pending by any other worker; if the stalled one wakes up and finishes, its ack finds nothing to
remove and writes nothing.
"""

from __future__ import annotations

from typing import Any

HEARTBEAT_TTL_MS = 1500
MAX_ATTEMPTS = 20
"""A job failing every attempt (a 50 % job fails 20 times in a row once in a million) ends as failed."""

ACK = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'worker', ARGV[2], 'at', ARGV[3], 'status', ARGV[4])
redis.call('DEL', KEYS[3])
return 1
"""
"""KEYS: running list, done stream, job hash; ARGV: id, worker, at (epoch s), status."""

RETRY = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('HINCRBY', KEYS[4], 'failed_attempts', 1)
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1
"""
"""KEYS: running list, pending list, job hash, stats; ARGV: id."""

RECOVER = """
local n = 0
while redis.call('RPOPLPUSH', KEYS[1], KEYS[2]) do n = n + 1 end
if n > 0 then redis.call('HINCRBY', KEYS[3], 'recovered', n) end
return n
"""
"""KEYS: a dead worker's running list, pending list, stats: every job it held goes back to pending."""


class Keys:
    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.pending = f"{queue}:pending"
        self.done = f"{queue}:done"
        self.stats = f"{queue}:stats"
        self.next_id = f"{queue}:next"

    def running(self, worker: str) -> str:
        return f"{self.queue}:running:{worker}"

    def alive(self, worker: str) -> str:
        return f"{self.queue}:alive:{worker}"

    def job(self, job_id: str | bytes) -> str:
        return f"{self.queue}:job:{job_id.decode() if isinstance(job_id, bytes) else job_id}"

    def worker_of(self, running_key: bytes) -> str:
        return running_key.decode().rsplit(":", 1)[1]


def enqueue(client: Any, keys: Keys, payload: str, fail_rate: float) -> str:
    """Store the job and queue it in one transaction: once this returns, the job is durable in Redis."""
    job_id = str(client.incr(keys.next_id))
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(keys.job(job_id), mapping={"payload": payload, "fail_rate": fail_rate, "attempts": 0})
        pipe.lpush(keys.pending, job_id)
        pipe.execute()
    return job_id

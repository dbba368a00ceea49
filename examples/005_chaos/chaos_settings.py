"""Where the example's job-queue system runs, shared by its four scenarios: read from the environment so the
same files run against the README's system and a test's (CHAOS_REDIS, CHAOS_QUEUE, CHAOS_API_PORT,
CHAOS_PROXY_PORT, CHAOS_KILL_EVERY, CHAOS_KILLS).

Kill targets match on the command line (``cmd:worker.py & --queue NAME``: both pieces, in any order), so
a kill only ever picks this system's processes, never another program that happens to be called worker.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REDIS = os.environ.get("CHAOS_REDIS", "redis://127.0.0.1:6390/0")
QUEUE = os.environ.get("CHAOS_QUEUE", "chaos")
API_PORT = int(os.environ.get("CHAOS_API_PORT", "8005"))
PROXY_PORT = int(os.environ.get("CHAOS_PROXY_PORT", "6391"))
KILL_EVERY = os.environ.get("CHAOS_KILL_EVERY", "6s")
KILLS = int(os.environ.get("CHAOS_KILLS", "4"))
"""random_kills.py's kills: 4, 6 s apart, leave its 30 s run 6 s to recover from the last one."""

WORKERS = f"cmd:worker.py & --queue {QUEUE}"
"""Every worker of this queue, whatever the order of its arguments (``&``: both pieces, anywhere)."""
API = f"cmd:queue_api.py & --queue {QUEUE}"


def worker_command(redis_url: str = REDIS) -> str:
    # exec: the shell becomes the worker, so a later kill never picks a shell left waiting for it
    return f"exec {sys.executable} {HERE / 'worker.py'} --queue {QUEUE} --redis {redis_url}"


def api_command() -> str:
    return f"exec {sys.executable} {HERE / 'queue_api.py'} --queue {QUEUE} --redis {REDIS} --port {API_PORT}"


def redis_address() -> str:
    where = urlsplit(REDIS)
    return f"{where.hostname}:{where.port or 6379}"


def proxied_redis() -> str:
    """The Redis URL through the scenario's fault proxy (db_latency.py): its workers use this one."""
    where = urlsplit(REDIS)
    return REDIS.replace(where.netloc, f"127.0.0.1:{PROXY_PORT}", 1)


PIPELINE = {
    # the done stream: one entry per finished job (id, worker, at, status), written by the worker's ack
    "sink": f"redis:{REDIS}#{QUEUE}:done",
    "drain_timeout": "15s",
    "stuck_after": "10s",
}

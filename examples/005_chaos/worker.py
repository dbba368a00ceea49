"""A job-queue worker, one process: takes a job (atomically into its own running list), runs it, and acks it
into the ``done`` stream; a failed attempt goes back to the queue. It beats a heartbeat and moves the jobs of
workers whose heartbeat expired (killed, stalled) back to the queue: seed 000's "stale job recovery".

    python examples/005_chaos/worker.py --queue chaos --redis redis://127.0.0.1:6390/0 [--job-ms 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time

import redis
from jobqueue import ACK, HEARTBEAT_TTL_MS, MAX_ATTEMPTS, RECOVER, RETRY, Keys

RECOVER_EVERY_S = 0.5


def recover_dead(client: redis.Redis, keys: Keys, recover: object) -> None:
    for key in client.scan_iter(match=keys.running("*"), count=100):
        name = keys.worker_of(key)
        if not client.exists(keys.alive(name)):
            recover(keys=[key, keys.pending, keys.stats])  # type: ignore[operator]


def run(client: redis.Redis, keys: Keys, name: str, job_s: float) -> None:
    ack, retry, recover = (client.register_script(s) for s in (ACK, RETRY, RECOVER))
    running = keys.running(name)
    next_recover = 0.0
    while True:
        try:
            client.set(keys.alive(name), 1, px=HEARTBEAT_TTL_MS)
            if time.monotonic() >= next_recover:
                recover_dead(client, keys, recover)
                next_recover = time.monotonic() + RECOVER_EVERY_S
            job_id = client.blmove(keys.pending, running, 0.2, "RIGHT", "LEFT")
            if job_id is None:
                continue
            job = client.hgetall(keys.job(job_id))
            time.sleep(job_s)  # the work
            attempts = int(job.get(b"attempts", 0)) + 1
            if random.random() < float(job.get(b"fail_rate", 0.0)) and attempts < MAX_ATTEMPTS:
                retry(keys=[running, keys.pending, keys.job(job_id), keys.stats], args=[job_id])
                continue
            status = "done" if attempts < MAX_ATTEMPTS else "failed"
            ack(keys=[running, keys.done, keys.job(job_id)], args=[job_id, name, time.time(), status])
        except redis.ConnectionError:
            time.sleep(0.1)  # Redis (or the proxy in front of it) away: try again, holding what we hold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6390/0")
    parser.add_argument("--queue", default="chaos")
    parser.add_argument("--name", default=f"worker-{os.getpid()}")
    parser.add_argument("--job-ms", type=float, default=20.0)
    args = parser.parse_args()
    client = redis.Redis.from_url(args.redis, socket_timeout=5, socket_connect_timeout=2)
    with contextlib.suppress(KeyboardInterrupt):
        run(client, Keys(args.queue), args.name, args.job_ms / 1000)


if __name__ == "__main__":
    main()

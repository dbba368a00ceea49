"""The job queue's API, the process seed 000 calls its core: ``POST /jobs`` stores a job in Redis and answers
202 with its id once it is stored (so a crash after the answer loses nothing), ``GET /health`` the queue's
depth. Kill it mid-run and restart it: requests fail while it is down, no accepted job is lost.

    python examples/005_chaos/queue_api.py --queue chaos --redis redis://127.0.0.1:6390/0 --port 8005
"""

from __future__ import annotations

import argparse
import asyncio

import redis
import uvicorn
from jobqueue import Keys, enqueue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def app(redis_url: str, queue: str) -> Starlette:
    client = redis.Redis.from_url(redis_url)
    keys = Keys(queue)
    for counter in ("failed_attempts", "recovered"):  # probes read them from the first second
        client.hsetnx(keys.stats, counter, 0)

    async def post_job(request: Request) -> JSONResponse:
        body = await request.json()
        fail_rate = float(body.get("fail_rate", 0.0))
        job_id = await asyncio.to_thread(enqueue, client, keys, str(body.get("payload", "")), fail_rate)
        return JSONResponse({"id": job_id}, status_code=202)

    async def health(request: Request) -> JSONResponse:
        pending = await asyncio.to_thread(client.llen, keys.pending)
        return JSONResponse({"status": "ok", "pending": pending})

    return Starlette(routes=[Route("/jobs", post_job, methods=["POST"]), Route("/health", health)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8005)
    parser.add_argument("--redis", default="redis://127.0.0.1:6390/0")
    parser.add_argument("--queue", default="chaos")
    args = parser.parse_args()
    uvicorn.run(app(args.redis, args.queue), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

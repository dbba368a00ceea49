"""The ingest API of the example target: POST /api/messages queues a message in Redis, /health reports the
queue length (seed 004's "Step 2: Verify System Health").

Started by ``target.py``; alone: ``python ingestor_api.py --port 8000 --redis-url redis://127.0.0.1:6379/0``.
Every accepted message is stamped with the time the API received it, so the worker can store it next to the
commit time: end-to-end latency is API receipt to database commit, as the guide defines it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from lifeline import exit_with_parent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

QUEUE = "pending_messages"
MAX_CONTENT = 10_000


def _invalid(body: Any) -> str | None:
    """Why a message is refused (422), or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object with user_id, channel_id and content"
    for field in ("user_id", "channel_id"):
        value = body.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"{field} must be a positive integer"
    content = body.get("content")
    if not isinstance(content, str) or not content.strip() or len(content) > MAX_CONTENT:
        return f"content must be non-empty text of at most {MAX_CONTENT} characters"
    return None


def create_app(redis_url: str) -> Starlette:
    client = aioredis.Redis.from_url(redis_url)

    async def ingest(request: Request) -> JSONResponse:
        received_at = time.time()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
        problem = _invalid(body)
        if problem:
            return JSONResponse({"detail": problem}, status_code=422)
        message = {
            "user_id": body["user_id"],
            "channel_id": body["channel_id"],
            "content": body["content"],
            "received_at": received_at,
        }
        try:
            await client.lpush(QUEUE, json.dumps(message))
        except aioredis.RedisError:
            return JSONResponse({"detail": "the queue is unavailable"}, status_code=503)
        return JSONResponse({"status": "queued"}, status_code=202)

    async def health(_: Request) -> JSONResponse:
        try:
            length = await client.llen(QUEUE)
        except aioredis.RedisError:
            return JSONResponse(
                {"status": "unhealthy", "redis": "disconnected", "queue_length": None}, status_code=503
            )
        return JSONResponse({"status": "healthy", "redis": "connected", "queue_length": length})

    async def root(_: Request) -> JSONResponse:
        return JSONResponse({"service": "message-ingestor", "status": "running"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(
        routes=[
            Route("/", root),
            Route("/health", health),
            Route("/api/messages", ingest, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    exit_with_parent()  # first: a launcher killed while this one starts up is noticed too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    # 127.0.0.1 only: a load-test target is never exposed beyond this machine.
    uvicorn.run(
        create_app(args.redis_url), host="127.0.0.1", port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()

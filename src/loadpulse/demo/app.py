"""The demo target's HTTP API (starlette): the front door of its pipeline (demo/workers.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from loadpulse.demo.knobs import Knobs
from loadpulse.demo.live_feed import websocket_routes
from loadpulse.demo.store import MessageStore
from loadpulse.demo.workers import WorkerPool

MAX_MESSAGE_BYTES = 64 * 1024


def create_app(
    db_path: Path, knobs: Knobs | None = None, batch_size: int = 100, seed: int = 0, workers: int = 4
) -> Starlette:
    state_knobs = knobs or Knobs()
    state_knobs.validate()
    started = time.monotonic()
    rng = random.Random(seed)
    pool_box: dict[str, WorkerPool] = {}

    def pool() -> WorkerPool:
        return pool_box["pool"]

    async def faults() -> Response | None:
        delay = state_knobs.delay_s(time.monotonic() - started)
        if delay > 0:
            await asyncio.sleep(delay)
        if state_knobs.fails(rng):
            return JSONResponse({"error": "injected failure"}, status_code=500)
        return None

    async def index(request: Request) -> Response:
        return PlainTextResponse(
            "loadpulse demo target: GET /health, POST /api/messages, GET /api/messages/{id}, "
            "GET|PUT /_knobs, WebSocket /ws/echo and /ws/feed\n"
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "healthy", **pool().health()})

    async def post_message(request: Request) -> Response:
        if (failed := await faults()) is not None:
            return failed
        raw = await request.body()
        if len(raw) > MAX_MESSAGE_BYTES:
            return JSONResponse({"error": "message too large"}, status_code=413)
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        message_id = pool().accept(json.dumps(payload, separators=(",", ":")))
        return JSONResponse({"id": message_id, "queued": True}, status_code=202)

    async def get_message(request: Request) -> Response:
        if (failed := await faults()) is not None:
            return failed
        try:
            message_id = int(request.path_params["id"])
        except ValueError:
            return JSONResponse({"error": "id must be an integer"}, status_code=400)
        queued = pool().queued.get(message_id)
        if queued is not None:
            return JSONResponse({"id": queued.id, "payload": queued.payload, "stored": False})
        found = pool().store.get(message_id)
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(found)

    async def get_knobs(request: Request) -> Response:
        return JSONResponse(asdict(state_knobs))

    async def put_knobs(request: Request) -> Response:
        try:
            changes = json.loads(await request.body())
            candidate = Knobs(**{**asdict(state_knobs), **changes})
            candidate.validate()
        except (json.JSONDecodeError, TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        for key, value in asdict(candidate).items():
            setattr(state_knobs, key, value)
        if "stop_worker_s" in changes:
            pool().arm_stop()
        return JSONResponse(asdict(state_knobs))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = MessageStore(db_path)
        p = pool_box["pool"] = WorkerPool(store, state_knobs, workers, batch_size, seed=seed)
        p.start()
        try:
            yield
        finally:
            await p.stop()
            store.close()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/health", health),
            Route("/api/messages", post_message, methods=["POST"]),
            Route("/api/messages/{id}", get_message),
            Route("/_knobs", get_knobs, methods=["GET"]),
            Route("/_knobs", put_knobs, methods=["PUT"]),
            *websocket_routes(lambda: pool().health()),
        ],
        lifespan=lifespan,
    )

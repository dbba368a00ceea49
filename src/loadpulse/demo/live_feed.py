"""The demo target's WebSocket endpoints: an echo and a live feed of its pipeline's state.

``/ws/echo`` sends every message back as it came (text as text, binary as binary). ``/ws/feed`` pushes
the pipeline's health as JSON every ``every_ms`` milliseconds (default 100), the way seed 004's ingestor
streams its live metrics to its dashboard: ``{"seq": 1, "queue_length": 0, "stored": 12, ...}``. With
``count=N`` the feed closes after N messages, with ``close_code`` (default 1000) as its close code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

MIN_EVERY_MS = 1.0
MAX_COUNT = 10_000_000


def websocket_routes(health: Callable[[], dict[str, Any]]) -> list[BaseRoute]:
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") is not None:
                    await ws.send_text(message["text"])
                elif message.get("bytes") is not None:
                    await ws.send_bytes(message["bytes"])

    async def feed(ws: WebSocket) -> None:
        try:
            every_s = max(MIN_EVERY_MS, float(ws.query_params.get("every_ms", "100"))) / 1000
            count = min(MAX_COUNT, int(ws.query_params.get("count", str(MAX_COUNT))))
            code = int(ws.query_params.get("close_code", "1000"))
        except ValueError:
            await ws.close(code=1008, reason="every_ms, count and close_code must be numbers")
            return
        await ws.accept()
        # The client's messages (and its close) are read beside the pushes, so a close ends the feed.
        reader = asyncio.ensure_future(_drain(ws))
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for seq in range(1, count + 1):
                # Paced from the start, not from the last push: the gaps a client measures are the server's.
                await asyncio.sleep(max(0.0, start + seq * every_s - loop.time()))
                if reader.done():
                    return
                await ws.send_json({"seq": seq, **health()})
            await ws.close(code=code)
        except (WebSocketDisconnect, RuntimeError):
            return  # the client went away mid-push
        finally:
            reader.cancel()

    return [WebSocketRoute("/ws/echo", echo), WebSocketRoute("/ws/feed", feed)]


async def _drain(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass

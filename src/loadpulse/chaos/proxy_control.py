"""The fault proxy's control API: change its faults while it runs, as toxiproxy's API does.

    GET    /faults  the faults now: {"name", "faults": {same keys as the flags}, "describe": "..."}
    PUT    /faults  replace them with the JSON body's keys (a key left out is off); 400 names a bad key
                    (a one-line {"error": ...}, also for a body that is not a flat JSON object)
    DELETE /faults  no faults
    POST   /reset   reset every open connection now: {"reset": n}
    GET    /stats   connections, open, bytes each way, resets, drops, stalled

Starlette under the uvicorn server the dashboard already uses (``loadpulse.live.service``), rather than a
hand-written HTTP handler: the CLI serves it behind the dashboard's Host/Origin guard (no DNS rebinding, no
cross-site PUT from a web page) with no second HTTP parser to keep correct.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from loadpulse.chaos.proxy import FaultProxy
from loadpulse.faults.proxy_faults import BadFault, parse_proxy_faults

MAX_BODY = 64 * 1024


def faults_document(proxy: FaultProxy) -> dict[str, Any]:
    return {"name": proxy.name, "faults": proxy.faults.to_mapping(), "describe": proxy.faults.describe()}


def control_app(proxy: FaultProxy) -> Starlette:
    async def get_faults(request: Request) -> JSONResponse:
        return JSONResponse(faults_document(proxy))

    async def put_faults(request: Request) -> JSONResponse:
        body = await _bounded_body(request)
        if body is None:
            return _error(413, f"body over {MAX_BODY} bytes")
        try:
            doc = json.loads(body or b"{}")
        except RecursionError:  # thousands of nested brackets: json's parser recurses per level
            return _error(400, "body is nested too deeply: send a flat JSON object of faults")
        except ValueError as exc:
            return _error(400, f"body is not JSON: {exc}")
        if not isinstance(doc, dict):
            return _error(400, 'body must be a JSON object of faults, like {"latency": "200ms"}')
        try:
            faults = parse_proxy_faults(doc, where="")
        except BadFault as exc:
            return _error(400, str(exc))
        proxy.apply(faults)
        return JSONResponse(faults_document(proxy))

    async def delete_faults(request: Request) -> JSONResponse:
        proxy.clear()
        return JSONResponse(faults_document(proxy))

    async def reset(request: Request) -> JSONResponse:
        return JSONResponse({"reset": proxy.reset_all()})

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(asdict(proxy.stats()))

    return Starlette(
        routes=[
            Route("/faults", get_faults, methods=["GET"]),
            Route("/faults", put_faults, methods=["PUT"]),
            Route("/faults", delete_faults, methods=["DELETE"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/stats", stats, methods=["GET"]),
        ]
    )


async def _bounded_body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)

"""The control API in-process (an ASGI call, no server): bad bodies get one-line 400s, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from loadpulse.chaos.proxy import FaultProxy
from loadpulse.chaos.proxy_control import control_app


def put_faults(proxy: FaultProxy, body: bytes) -> tuple[int, Any]:
    app = control_app(proxy)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "path": "/faults",
        "raw_path": b"/faults",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "scheme": "http",
        "server": ("127.0.0.1", 1),
        "client": ("127.0.0.1", 2),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    return status, json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[" * 6000 + b"]" * 6000, "body is nested too deeply: send a flat JSON object of faults"),
        (b'{"latency": ' + b"[" * 6000 + b"]" * 6000 + b"}", "body is nested too deeply"),
        (b'{"bogus": 1}', "unknown proxy fault 'bogus' (known: "),
        (b'{"latency": 1e308}', "latency 1e+308 is over the maximum of 1h"),
        (b'{"latency": [1, 2]}', "latency must be a number or a string, not [1, 2]"),
    ],
)
def test_a_bad_body_is_a_one_line_400(body: bytes, error: str) -> None:
    proxy = FaultProxy(("127.0.0.1", 0), ("127.0.0.1", 1))
    status, doc = put_faults(proxy, body)
    assert status == 400
    assert doc["error"].startswith(error)
    assert "\n" not in doc["error"]
    assert proxy.faults.describe() == "no faults"  # a bad PUT changes nothing


def test_a_good_body_applies_its_faults() -> None:
    proxy = FaultProxy(("127.0.0.1", 0), ("127.0.0.1", 1))
    status, doc = put_faults(proxy, b'{"latency": "90s"}')
    assert (status, doc["describe"]) == (200, "latency 1m30s (down)")

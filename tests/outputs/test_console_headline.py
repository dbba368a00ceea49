"""The http one-liner's headline: connections counted in words that agree with the number."""

from __future__ import annotations

from typing import Any

from loadpulse.outputs.console import _headline


def summary(connections: int) -> dict[str, Any]:
    return {
        "ended_by": "duration", "duration_s": 2.0, "requests_mix": [{}], "model": "closed",
        "target": {"method": "GET", "url": "http://127.0.0.1:1/"},
        "load": {"connections": connections, "rate": None},
    }  # fmt: skip


def test_one_connection_is_singular() -> None:
    assert "closed model, 1 connection " in _headline(summary(1))
    assert "closed model, 4 connections " in _headline(summary(4))


def test_http2_says_so_with_its_streams() -> None:
    s = summary(1)
    s["load"] |= {"http2": True, "streams_per_connection": 100}
    line = _headline(s)
    assert "GET http://127.0.0.1:1/[/] over HTTP/2  closed model, 1 connection \u00d7 100 streams " in line
    assert "HTTP/2" not in _headline(summary(2))  # HTTP/1.1, and summaries from before HTTP/2

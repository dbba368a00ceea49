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

"""10,000 idle WebSocket subscribers held by one process, and what each costs it in memory."""

from __future__ import annotations

import asyncio
import gc
import os
import random
from collections.abc import Iterator

import pytest
import uvloop

from loadpulse.bounds import check_fd_limit
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.ws.connection import WsConnection
from loadpulse.protocols.ws.plugin import WsProtocol
from tests.protocols.ws.lean_server import lean_server

CONNECTIONS = 10_000
BYTES_PER_CONNECTION_MAX = 48 * 1024
"""Generous: about 15 KiB were measured (docs/websocket.md); this catches a buffer per connection gone
wrong (picows' 16 KiB default read buffer, a deque per connection...), not noise."""


@pytest.fixture(scope="module")
def ws_url() -> Iterator[str]:
    with lean_server() as url:
        yield url


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_idle_connections_fit_and_stay_open(ws_url: str) -> None:
    check_fd_limit(CONNECTIONS + 100, f"{CONNECTIONS:,} WebSocket connections")
    session = WsProtocol(SessionSettings(connect_timeout_s=30), Recorder())

    async def main() -> tuple[int, int, list[str | bytes]]:
        client = session.client()
        gc.collect()
        before = rss_bytes()
        conns: list[WsConnection] = []
        for _ in range(CONNECTIONS // 500):  # 500 handshakes at a time: the server's backlog, not a flood
            conns.extend(await asyncio.gather(*(client.connect(f"{ws_url}/echo") for _ in range(500))))
        gc.collect()
        grown = rss_bytes() - before
        open_now = session.connection_count()
        # Still connections, not just objects: a few of them, picked anywhere, answer.
        replies = [await conn.request("still there?") for conn in random.sample(conns, 10)]
        session.close()
        await asyncio.sleep(0.2)
        return grown, open_now, replies

    grown, open_now, replies = uvloop.run(main())
    assert open_now == CONNECTIONS
    assert replies == ["still there?"] * 10
    per_connection = grown / CONNECTIONS
    assert per_connection < BYTES_PER_CONNECTION_MAX, f"{per_connection:,.0f} bytes per idle connection"

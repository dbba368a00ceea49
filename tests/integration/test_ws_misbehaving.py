"""ctx.ws against servers that misbehave: one that never reads, one that floods, one that never answers a
close. The generator must stay responsive and bounded whatever the server does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from loadpulse.protocols.ws.client import WsClient
from tests.integration.test_ws_client import run
from tests.protocols.ws.lean_server import lean_server


@pytest.fixture(scope="module")
def ws_url() -> Iterator[str]:
    with lean_server() as url:
        yield url


def test_sending_to_a_server_that_does_not_read_waits_instead_of_filling_memory(ws_url: str) -> None:
    limit = 100_000  # 100 MB of 1 KB messages if send() never waited

    async def script(ws: WsClient) -> tuple[int, int]:
        sent = 0

        async def send_forever() -> None:
            nonlocal sent
            while sent < limit:
                await conn.send("x" * 1000)
                sent += 1

        async with ws.connect(ws_url + "/stall") as conn:
            sender = asyncio.ensure_future(send_forever())
            await asyncio.sleep(0)  # the first tick after the sender started: it must have yielded
            at_first_tick = sent
            await asyncio.sleep(0.3)
            sender.cancel()
            return at_first_tick, sent
        raise AssertionError("the connection's block swallowed an error")

    (at_first_tick, sent), _, _ = run(script)
    assert at_first_tick < 1000  # send() yields to the loop while the socket takes everything
    assert sent < limit // 10  # and waits once the server stops taking it: memory stays bounded

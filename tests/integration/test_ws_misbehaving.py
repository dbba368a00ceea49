"""ctx.ws against servers and scripts that misbehave: a server that never reads, one that floods and never
answers a close, a script whose match function raises. The generator must stay responsive and bounded
whatever the server does, and blame the script only for what the script did."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import traceback
from collections.abc import Iterator

import pytest

from loadpulse.protocols.ws.client import WsClient
from tests.integration.test_ws_client import SleepLog, run
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

        conn = await ws.connect(ws_url + "/stall")
        sender = asyncio.ensure_future(send_forever())
        await asyncio.sleep(0)  # the first tick after the sender started: it must have yielded
        at_first_tick = sent
        await asyncio.sleep(0.3)
        sender.cancel()
        conn.abort()  # not close(): this server would never answer it
        return at_first_tick, sent

    (at_first_tick, sent), _, _ = run(script)
    assert at_first_tick < 1000  # send() yields to the loop while the socket takes everything
    assert sent < limit // 10  # and waits once the server stops taking it: memory stays bounded


def test_a_flood_nobody_reads_is_dropped_and_a_cancelled_close_drops_the_connection(ws_url: str) -> None:
    async def script(ws: WsClient) -> tuple[int | None, int]:
        conn = await ws.connect(ws_url + "/flood")
        await asyncio.sleep(0.1)  # flooded, nothing read
        closing = asyncio.ensure_future(conn.close())
        await asyncio.sleep(0.05)  # waiting for a close frame this server never sends
        closing.cancel()  # as the run's end cancels a task in its graceful stop
        with contextlib.suppress(asyncio.CancelledError):
            await closing
        await asyncio.sleep(0.05)
        return conn.close_code, ws.session.connection_count()

    (code, still_open), _, session = run(script)
    assert (code, still_open) == (1006, 0)  # dropped then, not left to the run's end
    assert session.unread_dropped > 0  # the flood was parsed and counted, in bounded batches


def test_a_match_function_that_raises_is_the_scripts_error_and_the_connection_carries_on(ws_url: str) -> None:
    def by_id(reply: str | bytes) -> bool:
        raise KeyError("id")

    async def script(ws: WsClient) -> tuple[BaseException, str | bytes, bool]:
        async with ws.connect(ws_url + "/echo", name="m") as conn:
            try:
                await conn.request("abc", match=by_id, timeout=5)
            except KeyError as exc:
                caught = exc
            return caught, await conn.request("again"), conn.ok
        raise AssertionError("the connection's block swallowed an error")

    (caught, again, ok), snap, _ = run(script)
    assert traceback.extract_tb(caught.__traceback__)[-1].name == "by_id"  # where a script error points
    assert (again, ok) == ("again", True)
    assert snap.names["m"].errors == {} and snap.names["m request"].errors == {}


def test_connections_left_open_beyond_one_per_vu_are_named_where_they_were_opened(ws_url: str) -> None:
    async def script(ws: WsClient) -> None:
        kept = await ws.connect(ws_url + "/echo")  # one kept for the VU, as ctx.vu.state does: fine
        for _ in range(3):
            forgotten = await ws.connect(ws_url + "/echo")
            await forgotten.request("x")
        await kept.request("y")
        async with ws.connect(ws_url + "/echo"):
            pass

    _, _, session = run(script)  # three opened there, one of them may be the VU's to keep: two left
    here = f"test_ws_misbehaving.py:{script.__code__.co_firstlineno + 3}"
    assert session.settings.warnings == [
        f"2 WebSocket connections were left open by the script (2 at {here}): opened with ws = await "
        "ctx.ws.connect(...) and never closed, beyond one per VU; close them (await ws.close()) or use "
        "async with ctx.ws.connect(...) as ws"
    ]


def test_wss_to_a_plain_http_server_is_a_tls_failure_that_says_ws() -> None:
    async def answer_400(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)  # a TLS hello, read as an HTTP request by a plain server
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def script(ws: WsClient) -> None:
        server = await asyncio.start_server(answer_400, "127.0.0.1", 0)
        async with server, ws.connect(f"wss://127.0.0.1:{server.sockets[0].getsockname()[1]}/", name="plain"):
            pass

    _, snap, session = run(script, clock=SleepLog())
    assert snap.names["plain"].errors == {"tls": 1}
    assert "(is the target speaking TLS? try ws://)" in session.settings.warnings[0]


def test_wss_to_a_server_that_never_answers_the_tls_hello_is_a_connect_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # the kernel accepts, nobody answers
        url = f"wss://127.0.0.1:{silent.getsockname()[1]}/x"

        async def script(ws: WsClient) -> None:
            async with ws.connect(url, name="silent", timeout=0.1):
                pass

        _, snap, session = run(script, clock=SleepLog())
    assert snap.names["silent"].errors == {"connect_timeout": 1}
    assert session.settings.warnings == [
        f"connect_timeout connecting to {url}: no TLS handshake within 0.1 s (is the server speaking TLS? "
        "for a plain one use ws://)"
    ]

"""ctx.ws against a real WebSocket server on loopback: round trips, pushes, closes and failures."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from loadpulse.clock import REAL_CLOCK
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.ws import connection
from loadpulse.protocols.ws.client import WsClient
from loadpulse.protocols.ws.errors import Closed, RequestTimeout
from loadpulse.protocols.ws.plugin import WsProtocol
from tests.ports import free_port
from tests.protocols.ws.lean_server import lean_server
from tests.services import self_signed_cert


@pytest.fixture(scope="module")
def ws_url() -> Iterator[str]:
    with lean_server() as url:
        yield url


class SleepLog:
    """A clock whose sleeps are noted (and taken for real, shortened)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now_ns(self) -> int:
        return REAL_CLOCK.now_ns()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    async def sleep_until(self, deadline_ns: int) -> None:
        await asyncio.sleep(0)


def run(
    script: Callable[[WsClient], Awaitable[Any]], base_url: str | None = None, **settings: Any
) -> tuple[Any, Snapshot, WsProtocol]:
    recorder = Recorder()
    session = WsProtocol(SessionSettings(base_url=base_url, **settings), recorder)

    async def main() -> Any:
        try:
            return await script(session.client())
        finally:
            session.close()
            await asyncio.sleep(0.05)  # the dropped connections' callbacks

    result = asyncio.run(main())
    return result, recorder.cut(1), session


def test_an_echo_round_trip_is_a_request_and_its_bytes_and_messages_are_counted(ws_url: str) -> None:
    async def script(ws: WsClient) -> list[Any]:
        async with ws.connect("/echo", name="echo") as conn:
            replies: list[Any] = [await conn.request("hello"), await conn.request(b"\x00\x01", name="binary")]
            replies.append(await conn.request({"id": 2, "text": "x"}, match="id"))
            await conn.send_json({"n": 1})
            replies.append(await conn.recv_json(timeout=5))
            replies.append(await conn.ping())
            return replies
        raise AssertionError("the connection's block swallowed an error")

    replies, snap, _ = run(script, ws_url.replace("ws://", "http://"))
    assert replies[:4] == ["hello", b"\x00\x01", '{"id":2,"text":"x"}', {"n": 1}]
    assert replies[4] > 0  # the pong's round trip in ms
    names = snap.names
    assert names["echo"].requests == names["echo"].ok == 1  # the handshake
    assert names["echo request"].ok == 2 and names["binary"].ok == 1 and names["echo ping"].ok == 1
    assert names["echo request"].latency.total == 2
    counters = {k: m.value for k, m in snap.metrics.items() if m.kind == "counter"}
    assert counters["ws_msgs_sent"] == counters["ws_msgs_received"] == 4
    assert counters["ws_bytes_sent"] == counters["ws_bytes_received"] == 5 + 2 + 19 + 7


def test_pushed_messages_give_their_gaps(ws_url: str) -> None:
    async def script(ws: WsClient) -> list[Any]:
        async with ws.connect(f"{ws_url}/feed?every_ms=20") as conn:
            return [await conn.recv_json(timeout=5) for _ in range(6)]
        raise AssertionError("the connection's block swallowed an error")

    got, snap, _ = run(script)
    assert [m["seq"] for m in got] == [1, 2, 3, 4, 5, 6]
    gaps = snap.metrics["ws_push_gap_ms"].hist
    assert gaps.total == 5  # between six messages
    assert gaps.min > 5  # paced by the server, not by the reads (20 ms apart, give or take the machine)


def test_recv_until_skips_what_the_predicate_refuses(ws_url: str) -> None:
    async def script(ws: WsClient) -> Any:
        async with ws.connect(f"{ws_url}/feed?every_ms=5") as conn:
            return await conn.recv_until(lambda m: '"seq": 4' in str(m), timeout=5)
        raise AssertionError("the connection's block swallowed an error")

    assert run(script)[0] == '{"seq": 4}'


@pytest.mark.parametrize(
    ("path", "kind", "code"),
    [
        ("/close?code=4000", "ws_closed", 4000),
        ("/close?code=1011", "ws_server_error", 1011),
        ("/close?code=1001", "ws_going_away", 1001),
        ("/drop", "ws_abnormal", 1006),
    ],
)
def test_how_the_server_ended_a_connection_is_its_error_kind(
    ws_url: str, path: str, kind: str, code: int
) -> None:
    async def script(ws: WsClient) -> Any:
        async with ws.connect(ws_url + path, name="c") as conn:
            try:
                await conn.request("bye")
            except Closed as exc:
                return exc.code
        return None

    got, snap, session = run(script)
    assert got == code
    # Counted once: on the request it cut short; the connection's name keeps its handshake only.
    assert snap.names["c request"].errors == {kind: 1}
    assert snap.names["c"].errors == {} and snap.names["c"].requests == snap.names["c"].ok == 1
    said = "lost without a close frame" if code == 1006 else f"closed 1 connection with {code} 'closed by"
    assert said in session.settings.warnings[0] and session.settings.warnings[0].startswith(kind)


def test_a_close_with_nothing_waiting_is_an_error_on_the_connections_name_not_a_request(ws_url: str) -> None:
    async def script(ws: WsClient) -> None:
        for _ in range(3):
            async with ws.connect(ws_url + "/close?code=4000", name="c") as conn:
                await conn.send("bye")
                await conn.recv()  # Closed: the block ends

    _, snap, session = run(script)
    c = snap.names["c"]
    assert c.errors == c.connection_errors == {"ws_closed": 3}
    assert c.requests == c.ok == 3 and c.failed == 0  # the handshakes; the closes cut no request
    assert session.settings.warnings == [
        "ws_closed: the server closed 3 connections with 4000 'closed by the test server'"
    ]


def test_a_normal_close_by_the_server_is_no_error_and_ends_the_block_quietly(ws_url: str) -> None:
    async def script(ws: WsClient) -> str:
        async with ws.connect(ws_url + "/close?code=1000", name="c") as conn:
            await conn.send("bye")
            await conn.recv()  # raises Closed: the block ends, the script goes on
        return "after"

    got, snap, _ = run(script)
    assert got == "after" and snap.names["c"].errors == {}


def test_a_closing_client_is_no_error_and_the_connection_is_gone(ws_url: str) -> None:
    async def script(ws: WsClient) -> tuple[int | None, int]:
        conn = await ws.connect(ws_url + "/echo", name="c")
        await conn.close(4001, "done")
        return conn.close_code, ws.session.connection_count()

    (code, open_after), snap, _ = run(script)
    assert code == 4001 and open_after == 0  # the server echoed our close
    assert snap.names["c"].errors == {}


def test_a_request_with_no_reply_times_out_as_a_counted_timeout(ws_url: str) -> None:
    async def script(ws: WsClient) -> str:
        async with ws.connect(ws_url + "/echo", name="c") as conn:
            try:
                await conn.request("x", match=lambda reply: False, timeout=0.1)
            except RequestTimeout:
                return "timed out"
        return "answered"

    got, snap, _ = run(script)
    assert got == "timed out"
    assert snap.names["c request"].errors == {"timeout": 1}
    assert snap.names["c request"].latency.total == 1  # kept at the moment it was given up


def test_a_recv_timeout_is_the_scripts_to_handle(ws_url: str) -> None:
    async def script(ws: WsClient) -> None:
        async with ws.connect(ws_url + "/echo") as conn:
            await conn.recv(timeout=0.05)

    with pytest.raises(TimeoutError):
        run(script)


def test_a_server_that_does_not_upgrade_is_a_handshake_error_with_one_warning(ws_url: str) -> None:
    async def script(ws: WsClient) -> list[bool]:
        oks = []
        for _ in range(3):
            async with ws.connect(ws_url + "/nowhere", name="n") as conn:
                oks.append(conn.ok)
                await conn.send("never sent")  # Closed: ends the block, already counted
        return oks

    got, snap, session = run(script)
    assert got == [False, False, False]
    assert snap.names["n"].errors == {"ws_handshake": 3}
    assert session.settings.warnings == [
        f"ws_handshake connecting to {ws_url}/nowhere: the server answered HTTP 404 instead of switching "
        "to WebSocket (is this a WebSocket endpoint?)"
    ]


def test_failing_connects_back_off_instead_of_storming() -> None:
    clock = SleepLog()
    url = f"ws://127.0.0.1:{free_port()}/x"

    async def script(ws: WsClient) -> None:
        for _ in range(4):
            async with ws.connect(url, name="gone"):
                pass

    _, snap, _ = run(script, clock=clock)
    assert snap.names["gone"].errors == {"connect_refused": 4}
    assert clock.sleeps == [0.01, 0.02, 0.04, 0.08]  # doubling, as HTTP connects do


def test_the_run_ending_is_not_the_servers_fault(ws_url: str) -> None:
    async def script(ws: WsClient) -> None:
        conns = [await ws.connect(ws_url + "/feed?every_ms=1000", name="idle") for _ in range(3)]
        assert ws.session.connection_count() == 3
        ws.session.close()
        await asyncio.sleep(0.1)
        assert all(c.close_code is not None for c in conns)

    _, snap, session = run(script)
    assert snap.names["idle"].errors == {} and session.connection_count() == 0


def test_handshake_headers_are_the_runs_overridden_by_the_connects(ws_url: str) -> None:
    async def asked(ws: WsClient) -> Any:
        async with ws.connect(ws_url + "/headers", headers={"X-Mine": "1", "x-team": "ws"}) as conn:
            return json.loads(await conn.request("?"))
        raise AssertionError("the connection's block swallowed an error")

    headers, _, _ = run(asked, headers=(("X-Team", "payments"), ("X-Run", "7")))
    assert (headers["x-mine"], headers["x-team"], headers["x-run"]) == ("1", "ws", "7")


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/not-utf8", "a text message that is not UTF-8"),
        ("/bad-frame", "Received CLOSE with invalid close code size: 1 8 b'\\x03'"),
    ],
)
def test_a_server_breaking_the_protocol_is_a_protocol_failure(
    ws_url: str, path: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(ws: WsClient) -> Any:
        async with ws.connect(ws_url + path, name="bad") as conn:
            await conn.recv(timeout=5)
        return "ended"

    got, snap, session = run(script)
    gc.collect()  # a future whose exception nobody retrieved says so when it is collected
    assert got == "ended" and snap.names["bad"].errors == {"protocol": 1}
    assert session.settings.warnings == [
        f"protocol: 1 connection dropped for breaking the WebSocket protocol: {why}"
    ]
    assert caplog.records == []  # nothing logged by picows, no exception left unretrieved


def test_what_was_sent_or_answered_is_told_for_ctx_track(ws_url: str) -> None:
    told: list[bool] = []

    async def script(ws: WsClient) -> None:
        ws.on_done = told.append
        async with ws.connect(ws_url + "/echo") as conn:
            await conn.send("a")
            await conn.request("b", match=lambda reply: reply == "b")
            await conn.request("c", match=lambda reply: False, timeout=0.05)
        async with ws.connect(f"ws://127.0.0.1:{free_port()}/x"):
            pass

    run(script)
    assert told == [True, True, False, False]


@pytest.fixture(scope="module")
def wss_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lean_server(*self_signed_cert(tmp_path_factory.mktemp("wss"))) as url:
        yield url.replace("127.0.0.1", "localhost")


def test_wss_verifies_the_certificate_unless_the_run_is_insecure(wss_url: str) -> None:
    async def script(ws: WsClient) -> Any:
        async with ws.connect(wss_url + "/echo", name="tls") as conn:
            return await conn.request("over TLS")
        return None

    got, snap, session = run(script, insecure=True)
    assert got == "over TLS" and snap.names["tls"].ok == 1
    got, snap, session = run(script)
    assert got is None and snap.names["tls"].errors == {"tls": 1}
    assert "certificate verify failed" in session.settings.warnings[0]
    assert "(use -k to skip verification)" in session.settings.warnings[0]


def test_a_server_that_never_answers_the_upgrade_times_out_and_leaves_no_descriptor() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # accepts (the kernel does), never answers
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}/x"

        async def script(ws: WsClient) -> int:
            before = len(os.listdir("/proc/self/fd"))
            for _ in range(4):
                async with ws.connect(url, name="silent", timeout=0.1):
                    pass
            await asyncio.sleep(0.05)
            return len(os.listdir("/proc/self/fd")) - before

        grown, snap, session = run(script, clock=SleepLog())
    assert grown == 0
    assert snap.names["silent"].errors == {"connect_timeout": 4}
    assert session.settings.warnings == [
        f"connect_timeout connecting to {url}: no WebSocket handshake within 0.1 s"
    ]


def test_a_server_that_hangs_up_on_the_upgrade_is_a_handshake_error() -> None:
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen(16)
        url = f"ws://127.0.0.1:{rude.getsockname()[1]}/x"

        async def script(ws: WsClient) -> None:
            async def hang_up() -> None:
                loop = asyncio.get_running_loop()
                rude.setblocking(False)
                peer, _ = await loop.sock_accept(rude)
                peer.close()

            hung = asyncio.ensure_future(hang_up())
            async with ws.connect(url, name="rude"):
                pass
            await hung

        _, snap, session = run(script)
    assert snap.names["rude"].errors == {"ws_handshake": 1}
    assert "the connection ended during the handshake" in session.settings.warnings[0]


def test_a_subscriber_that_does_not_read_keeps_the_newest_messages_only(
    ws_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "INBOX_MAX", 10)

    async def script(ws: WsClient) -> Any:
        async with ws.connect(f"{ws_url}/feed?every_ms=2") as conn:
            await asyncio.sleep(0.3)  # ~150 pushes, none read
            return json.loads(await conn.recv())["seq"]
        return None

    first_read, snap, session = run(script)
    assert first_read > 11  # the oldest were dropped
    assert snap.metrics["ws_push_gap_ms"].hist.total >= first_read + 8  # every push still measured
    warning = session.settings.warnings[0]
    assert warning.endswith(
        "WebSocket messages were dropped unread: a connection keeps the last 10 unread "
        "messages (1 MiB at most); recv() them, or let them go if only their gaps matter"
    )

"""picows' frames as messages: whole, in fragments, pongs and closes (fed frames, no sockets)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from picows import WSMsgType
from picows.picows import _make_test_ws_frame

from loadpulse.protocols.ws.frames import FRAGMENTS_MAX, MESSAGE_MAX, Frames, picows_reason


class FakeConnection:
    def __init__(self) -> None:
        self.messages: list[tuple[str | bytes, int]] = []
        self.events: list[Any] = []

    def message(self, data: str | bytes, size: int, now: int) -> None:
        self.messages.append((data, size))

    def pong(self, now: int) -> None:
        self.events.append("pong")

    def server_closed(self, payload: bytes) -> None:
        self.events.append(("close", payload))

    def fail(self, kind: str, detail: str) -> None:
        self.events.append(("fail", kind, detail))


def feed(frames: Frames, kind: WSMsgType, payload: bytes, fin: bool = True) -> None:
    frames.on_ws_frame(None, _make_test_ws_frame(kind, payload, fin, False))  # type: ignore[arg-type]


def test_whole_messages_come_as_text_or_bytes_with_their_size() -> None:
    conn = FakeConnection()
    frames = Frames(conn)  # type: ignore[arg-type]
    feed(frames, WSMsgType.TEXT, "héllo".encode())
    feed(frames, WSMsgType.BINARY, b"\x00\x01")
    assert conn.messages == [("héllo", 6), (b"\x00\x01", 2)]


def test_fragments_are_joined_into_one_message_of_the_first_frames_type() -> None:
    conn = FakeConnection()
    frames = Frames(conn)  # type: ignore[arg-type]
    feed(frames, WSMsgType.TEXT, b"he", fin=False)
    feed(frames, WSMsgType.CONTINUATION, b"ll", fin=False)
    feed(frames, WSMsgType.CONTINUATION, b"o")
    feed(frames, WSMsgType.BINARY, b"a", fin=False)
    feed(frames, WSMsgType.CONTINUATION, b"b")
    assert conn.messages == [("hello", 5), (b"ab", 2)]


def test_a_fragmented_message_past_the_limit_is_a_protocol_failure() -> None:
    conn = FakeConnection()
    frames = Frames(conn)  # type: ignore[arg-type]
    chunk = b"x" * (MESSAGE_MAX // 2 + 1)
    feed(frames, WSMsgType.BINARY, chunk, fin=False)
    feed(frames, WSMsgType.CONTINUATION, chunk, fin=False)
    assert conn.events == [("fail", "protocol", f"a message over {MESSAGE_MAX:,} bytes")]
    assert conn.messages == []


def test_a_message_in_endless_empty_fragments_is_a_protocol_failure() -> None:
    conn = FakeConnection()
    frames = Frames(conn)  # type: ignore[arg-type]
    feed(frames, WSMsgType.TEXT, b"", fin=False)
    for _ in range(FRAGMENTS_MAX + 10):
        feed(frames, WSMsgType.CONTINUATION, b"", fin=False)
    assert conn.events == [("fail", "protocol", f"a message in over {FRAGMENTS_MAX:,} fragments")]
    assert conn.messages == []


def test_pongs_and_closes_go_to_the_connection() -> None:
    conn = FakeConnection()
    frames = Frames(conn)  # type: ignore[arg-type]
    feed(frames, WSMsgType.PONG, b"")
    feed(frames, WSMsgType.CLOSE, b"\x0f\xa0bye")
    assert conn.events == ["pong", ("close", b"\x0f\xa0bye")]


def test_why_picows_dropped_a_connection_is_said_in_words() -> None:
    def closed_with(reason: str) -> Any:
        sent = SimpleNamespace(reason=reason)
        return SimpleNamespace(close_handshake=SimpleNamespace(sent=sent))

    too_big = "Received frame with payload size exceeding max allowed size, 104857600 > 16777216"
    assert picows_reason(closed_with(too_big)) == "a frame of 100.0 MiB over the 16 MiB limit"
    assert picows_reason(closed_with("Received CLOSE with invalid close code size")) == (
        "Received CLOSE with invalid close code size"
    )
    assert picows_reason(None) == "an invalid frame"

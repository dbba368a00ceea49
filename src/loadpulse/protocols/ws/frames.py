"""picows' frames as messages: the listener picows calls (in Cython, from the transport's data callback)."""

from __future__ import annotations

import asyncio
import re
from time import perf_counter_ns
from typing import TYPE_CHECKING

from picows import WSFrame, WSListener, WSMsgType, WSTransport

from loadpulse.metrics.error_kinds import ErrorKind

if TYPE_CHECKING:
    from loadpulse.protocols.ws.connection import WsConnection

MESSAGE_MAX = 16 * 1024 * 1024
"""The largest message (and frame) accepted; a bigger one is a protocol error that ends the connection."""
FRAGMENTS_MAX = 10_000
"""The most frames one message may come in: past it (a server sending empty continuations forever) the
message is a protocol error rather than an unending accumulation."""
_TOO_BIG = re.compile(r"exceeding max allowed size, (\d+) > (\d+)")
"""picows' words for a frame over ``max_frame_size``."""
_TEXT, _BINARY, _CONT = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION
_PONG, _CLOSE = WSMsgType.PONG, WSMsgType.CLOSE


class Frames(WSListener):
    """picows' callbacks for one connection, handed straight to it."""

    def __init__(self, conn: WsConnection) -> None:
        self.conn = conn
        self._parts: list[bytes] = []
        self._size = 0
        """Bytes in ``_parts``, kept as they come: O(1) per fragment."""
        self._kind = _TEXT
        self._failed = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        # Frames that came with the upgrade's answer are handed over before ws_connect() returns: the
        # connection must know its transport by then (whether picows closed it is read from it).
        self.conn.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if frame.fin and (kind is _TEXT or kind is _BINARY):
            try:
                data: str | bytes = (
                    frame.get_payload_as_utf8_text() if kind is _TEXT else frame.get_payload_as_bytes()
                )
            except UnicodeDecodeError:
                self.conn.fail(ErrorKind.PROTOCOL.value, "a text message that is not UTF-8")
                return
            self.conn.message(data, frame.payload_size, perf_counter_ns())
        elif kind is _TEXT or kind is _BINARY or kind is _CONT:
            self._fragment(kind, frame)
        elif kind is _PONG:
            self.conn.pong(perf_counter_ns())
        elif kind is _CLOSE:
            self.conn.server_closed(frame.get_payload_as_bytes())

    def _fragment(self, kind: WSMsgType, frame: WSFrame) -> None:
        if self._failed:  # the rest of what one read brought in, after a failure: nothing to do
            return
        if kind is not _CONT:
            self._kind, self._parts, self._size = kind, [], 0
        parts = self._parts
        parts.append(frame.get_payload_as_bytes())
        self._size += frame.payload_size
        if frame.fin:
            raw = b"".join(parts)
            self._parts, self._size = [], 0
            try:
                data = raw.decode("utf-8") if self._kind is _TEXT else raw
            except UnicodeDecodeError:
                self.conn.fail(ErrorKind.PROTOCOL.value, "a text message that is not UTF-8")
                return
            self.conn.message(data, len(raw), perf_counter_ns())
        elif self._size > MESSAGE_MAX:
            self._give_up(f"a message over {MESSAGE_MAX:,} bytes")
        elif len(parts) > FRAGMENTS_MAX:
            self._give_up(f"a message in over {FRAGMENTS_MAX:,} fragments")

    def _give_up(self, why: str) -> None:
        self._parts, self._size, self._failed = [], 0, True
        self.conn.fail(ErrorKind.PROTOCOL.value, why)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.conn.disconnected()

    def pause_writing(self) -> None:
        self.conn.pause_writing()

    def resume_writing(self) -> None:
        self.conn.resume_writing()


def picows_closed(transport: WSTransport | None) -> bool:
    """Whether picows sent a close frame on its own: it found the server breaking the protocol. Its
    error is then taken from picows, which would otherwise log it as never retrieved."""
    if transport is None or not transport.is_close_frame_sent:
        return False
    asyncio.get_running_loop().create_task(transport.wait_disconnected()).add_done_callback(_retrieved)
    return True


def picows_reason(transport: WSTransport | None) -> str:
    """Why picows found the server breaking the protocol: the reason of the close it sent."""
    handshake = transport.close_handshake if transport is not None else None
    sent = handshake.sent if handshake is not None else None
    reason = sent.reason if sent is not None and sent.reason else "an invalid frame"
    too_big = _TOO_BIG.search(reason)
    if too_big:
        size, limit = (int(n) / 1024 / 1024 for n in too_big.groups())
        return f"a frame of {size:,.1f} MiB over the {limit:,.0f} MiB limit"
    return reason


def _retrieved(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()

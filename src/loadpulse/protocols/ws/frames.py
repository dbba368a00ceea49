"""picows' frames as messages: the listener picows calls (in Cython, from the transport's data callback)."""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING

from picows import WSFrame, WSListener, WSMsgType, WSTransport

from loadpulse.metrics.error_kinds import ErrorKind

if TYPE_CHECKING:
    from loadpulse.protocols.ws.connection import WsConnection

MESSAGE_MAX = 16 * 1024 * 1024
"""The largest message (and frame) accepted; a bigger one is a protocol error that ends the connection."""
_TEXT, _BINARY, _CONT = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION
_PONG, _CLOSE = WSMsgType.PONG, WSMsgType.CLOSE


class Frames(WSListener):
    """picows' callbacks for one connection, handed straight to it."""

    def __init__(self, conn: WsConnection) -> None:
        self.conn = conn
        self._parts: list[bytes] = []
        self._kind = _TEXT

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
        if kind is not _CONT:
            self._kind, self._parts = kind, []
        self._parts.append(frame.get_payload_as_bytes())
        if frame.fin:
            raw = b"".join(self._parts)
            self._parts = []
            try:
                data = raw.decode("utf-8") if self._kind is _TEXT else raw
            except UnicodeDecodeError:
                self.conn.fail(ErrorKind.PROTOCOL.value, "a text message that is not UTF-8")
                return
            self.conn.message(data, len(raw), perf_counter_ns())
        elif sum(map(len, self._parts)) > MESSAGE_MAX:
            self._parts = []
            self.conn.fail(ErrorKind.PROTOCOL.value, f"a message over {MESSAGE_MAX:,} bytes")

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.conn.disconnected()

    def pause_writing(self) -> None:
        self.conn.pause_writing()

    def resume_writing(self) -> None:
        self.conn.resume_writing()

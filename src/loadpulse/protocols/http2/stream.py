"""One HTTP/2 request in flight (a stream), and how its outcome reaches the recorder.

A stream carries what the HTTP/1.1 path keeps on its connection (send, first byte, last byte, status,
bytes in) because on HTTP/2 many requests share one connection. Latency counts from the intended start
when there is one (open model), as everywhere; a stream queued for a free slot is sent later, and its
service time counts from that send.
"""

from __future__ import annotations

from typing import Any

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.recording import RequestRecording
from loadpulse.protocols.http2.hpack_blocks import stateless_block

_TIMEOUT = ErrorKind.TIMEOUT.value
_UNFINISHED = ErrorKind.UNFINISHED.value


class H2Request:
    """A request prepared once and sent as many streams: its header list, body and bytes on the wire."""

    __slots__ = ("block", "body", "headers", "method", "name", "size")

    def __init__(self, name: str, headers: list[tuple[bytes, bytes]], body: bytes | None) -> None:
        self.name = name
        self.headers = headers
        """Pseudo-headers first, names lower-case: sent as given (the h2 library's checks are off)."""
        self.body = body
        self.method = headers[0][1] if headers and headers[0][0] == b":method" else None
        self.block = stateless_block(headers)
        """Its HPACK block, made once: it depends on no connection's state (hpack_blocks.py)."""
        self.size = 9 + len(self.block) + (len(body) + 9 if body else 0)
        """Bytes out per request: its HEADERS frame and the body in one DATA frame's worth of framing."""


class H2Stream:
    """A request on its way: what it is, when it started, what came back. ``user`` is its owner's."""

    __slots__ = (
        "began_ns",
        "body",
        "first_byte_ns",
        "headers",
        "id",
        "intended_ns",
        "last_rx_ns",
        "parts",
        "request",
        "retries",
        "rx",
        "sent_ns",
        "status",
        "truncated",
        "tx",
        "user",
    )

    def __init__(self, request: H2Request, intended_ns: int, capture: bool = False) -> None:
        self.request = request
        self.intended_ns = intended_ns
        """Open model: when the schedule wanted it started (0 in the closed model)."""
        self.began_ns = 0
        """When it was first sent or queued for a slot: a resend (after a GOAWAY, a refusal) keeps it, so
        the closed model's latency and every timeout count the wait for the connection it finally took."""
        self.sent_ns = self.last_rx_ns = 0
        """Set when it is sent, or queued for a free stream slot (it then times out like a sent one)."""
        self.first_byte_ns = 0
        self.id = 0
        self.status = 0
        self.rx = 0
        self.retries = 0
        self.tx = 0
        """Bytes that went out for it: its HEADERS frame per send, the DATA its flow control let out."""
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.parts: list[bytes] | None = [] if capture else None
        """Body chunks kept for a script (None: not kept)."""
        self.truncated = False
        self.body: memoryview | None = None
        """What of the request body is still to send (flow control holds it back)."""
        self.user: Any = None


class StreamRecording(RequestRecording):
    """A request name's recorder buffers, fed from streams (see RequestRecording)."""

    __slots__ = ()

    def stream_done(self, s: H2Stream) -> None:
        now = s.last_rx_ns
        sent = s.sent_ns
        self.lat((now - (s.intended_ns or s.began_ns)) // 1000)
        if self.service:
            self.svc((now - sent) // 1000)
        self.ttfb((s.first_byte_ns - sent) // 1000)
        self.status(s.status)
        rec = self.rec
        rec.bytes_in += s.rx
        rec.bytes_out += s.tx

    def stream_failed(self, s: H2Stream, kind: str, now_ns: int) -> None:
        if kind == _TIMEOUT:
            sent = s.sent_ns
            self.lat((now_ns - (s.intended_ns or s.began_ns or sent)) // 1000)
            if self.service:
                self.svc((now_ns - sent) // 1000)
        rec = self.rec
        rec.bytes_in += s.rx
        rec.bytes_out += s.tx  # none for one that failed queued for a slot
        rec.error(kind)

    def stream_unfinished(self, s: H2Stream) -> None:
        """Still in flight (or queued) when the run's grace ended."""
        rec = self.rec
        rec.bytes_in += s.rx
        rec.bytes_out += s.tx
        rec.error(_UNFINISHED)

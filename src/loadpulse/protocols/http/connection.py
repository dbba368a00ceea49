"""One HTTP/1.1 keep-alive connection as an asyncio Protocol, driven by callbacks.

Callbacks instead of an awaitable per request because this is the measured hot path: a completed response
goes straight to the owner (a load loop, or the awaitable client) with no Future or Task in between.
The owner decides what happens next (send again, go idle, reconnect); this class only does I/O and timing.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from time import perf_counter_ns
from typing import Protocol

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.response import (
    DEFAULT_MAX_BODY,
    FastResponseReader,
    ProtocolError,
    ResponseReader,
)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
"""Methods a client may resend after the keep-alive close race (RFC 9110 9.2.2); see
:meth:`HttpConnection.is_stale`."""

_RESET = ErrorKind.RESET.value
_EOF = ErrorKind.PREMATURE_EOF.value


class ConnectionOwner(Protocol):
    """``on_failure``'s kind is an ErrorKind value; check :meth:`HttpConnection.is_stale` before counting
    a ``reset`` or ``premature_eof``."""

    def on_response(self, conn: HttpConnection) -> None: ...
    def on_failure(self, conn: HttpConnection, kind: str) -> None: ...
    def on_idle_closed(self, conn: HttpConnection) -> None: ...


def classify_exception(exc: BaseException | None) -> str:
    """Error kind for an exception raised by the transport while a request is in flight (None: the peer
    closed cleanly, a FIN, before the response was complete)."""
    if exc is None:
        return _EOF
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ErrorKind.TLS.value
    if isinstance(exc, ConnectionRefusedError):
        return ErrorKind.CONNECT_REFUSED.value
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT.value
    return ErrorKind.RESET.value


class TimedConnection(asyncio.Protocol):
    """What :func:`~loadpulse.protocols.http.connect.open_connection` fills in on the connection it opens
    (HTTP/1.1's and HTTP/2's alike)."""

    __slots__ = ()
    transport: asyncio.Transport | None
    connect_us: int
    tls_us: int


class HttpConnection(TimedConnection):
    __slots__ = (
        "busy",
        "closed",
        "connect_us",
        "first_byte_ns",
        "intended_ns",
        "last_rx_ns",
        "now_ns",
        "owner",
        "reader",
        "sent_ns",
        "served",
        "tls_us",
        "transport",
        "user",
    )

    def __init__(
        self,
        owner: ConnectionOwner,
        full: bool = False,
        capture_body: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
        now_ns: Callable[[], int] = perf_counter_ns,
    ) -> None:
        """``full``: keep response headers (scripted requests, HEAD); otherwise the lean hot-path reader.
        ``capture_body``: keep up to ``max_body`` body bytes for a script to read. ``now_ns``: the owner's
        clock (:mod:`loadpulse.clock`), which stamps sends and received bytes."""
        self.owner = owner
        self.now_ns = now_ns
        self.reader: ResponseReader | FastResponseReader = (
            ResponseReader(capture_body, max_body) if full or capture_body else FastResponseReader()
        )
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.closed = False
        self.served = 0
        self.sent_ns = 0
        self.intended_ns = 0
        """When the request in flight should have started (open model), 0 when it has no such time: its
        latency and total timeout count from here (see recording.py and timeouts.py)."""
        self.first_byte_ns = 0
        self.last_rx_ns = 0
        self.connect_us = 0
        self.tls_us = 0
        self.user: object = None
        """Owner's per-connection state (e.g. the request a retry must resend)."""

    # asyncio.Protocol -----------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            # Bytes nobody asked for: the connection's framing can no longer be trusted.
            self.close()
            return
        now = self.now_ns()
        if not self.first_byte_ns:
            self.first_byte_ns = now
        self.last_rx_ns = now
        reader = self.reader
        try:
            reader.feed(data)
        except ProtocolError:
            self.fail(ErrorKind.PROTOCOL.value)
            return
        if reader.complete:
            self.busy = False
            self.served += 1
            if not reader.keep_alive:
                self.close()
            self.owner.on_response(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.busy:
            self.owner.on_idle_closed(self)
            return
        self.busy = False
        if exc is None and self.reader.feed_eof():
            self.served += 1
            self.owner.on_response(self)
        else:
            self.owner.on_failure(self, classify_exception(exc))

    # owner API ------------------------------------------------------------------------------------------
    def is_stale(self, kind: str) -> bool:
        """True when a failure of ``kind`` is the keep-alive close race, not an answer from the target.

        The connection had served a response and was then closed (FIN) or reset by the peer before any
        byte of the next one: the server closed it as idle while the request was on its way (a
        per-connection request limit, a keep-alive timeout, or closing after each response without
        saying ``Connection: close``). The request almost surely never reached the application, so
        owners resend it once on a fresh connection — only for :data:`IDEMPOTENT` methods, as browsers
        and Go's net/http do: a POST may have been processed, and resending it could double its effect
        (and show as duplicates in pipeline checks). A fresh connection is never stale, so a request is
        resent at most once.
        """
        return kind in (_RESET, _EOF) and self.served > 0 and not self.reader.started

    def send(self, data: bytes, head: bool = False) -> None:
        """Write one request; the owner hears back through on_response or on_failure."""
        self.reader.expect(head)
        self.busy = True
        self.first_byte_ns = 0
        self.sent_ns = self.last_rx_ns = self.now_ns()
        self.transport.write(data)  # type: ignore[union-attr]

    def fail(self, kind: str) -> None:
        """Abandon the in-flight request as ``kind`` (timeouts, garbage) and drop the connection."""
        was_busy = self.busy
        self.busy = False
        self.close()
        if was_busy:
            self.owner.on_failure(self, kind)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.abort()

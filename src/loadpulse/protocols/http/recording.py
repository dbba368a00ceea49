"""The one way an HTTP request's outcome reaches the recorder, for the load drivers and the scripted client.

Latency counts from the request's intended start when it has one (open model, coordinated-omission
corrected) and from its send otherwise; service time from the send is kept beside it where ``service``
says so; a timed-out request stays in the latency record at the moment it was given up on, because
dropping it would hide exactly the stalls a load test exists to find.
"""

from __future__ import annotations

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.http.connection import HttpConnection

_TIMEOUT = ErrorKind.TIMEOUT.value


class RequestRecording:
    """A request name's recorder buffers with their appends bound once: the hot path does no lookups and
    no allocations per request."""

    __slots__ = ("lat", "rec", "service", "status", "svc", "ttfb")

    def __init__(self, rec: NameRecorder, service: bool) -> None:
        self.rec = rec
        self.service = service
        """Record service time from the send beside the latency (open model)."""
        self.lat = rec.lat.append
        self.svc = rec.svc.append
        self.ttfb = rec.ttfb.append
        self.status = rec.status.append

    def response(self, conn: HttpConnection) -> None:
        """Record the response ``conn`` just completed."""
        now = conn.last_rx_ns  # when the last chunk arrived: before parsing it, and one clock read saved
        sent = conn.sent_ns
        self.lat((now - (conn.intended_ns or sent)) // 1000)
        if self.service:
            self.svc((now - sent) // 1000)
        self.ttfb((conn.first_byte_ns - sent) // 1000)
        reader = conn.reader
        self.status(reader.status)
        self.rec.bytes_in += reader.rx

    def failure(self, conn: HttpConnection, kind: str, now_ns: int) -> None:
        """Record ``conn``'s request as failed with error ``kind`` at ``now_ns``."""
        if kind == _TIMEOUT:
            sent = conn.sent_ns
            self.lat((now_ns - (conn.intended_ns or sent)) // 1000)
            if self.service:
                self.svc((now_ns - sent) // 1000)
        self.rec.bytes_in += conn.reader.rx  # what did arrive was on the wire (e.g. an endless body)
        self.rec.error(kind)

    def connected(self, conn: HttpConnection, tls: bool) -> None:
        """Record how long ``conn``'s connect (and TLS handshake) took."""
        self.rec.connect.append(conn.connect_us)
        if tls:
            self.rec.tls.append(conn.tls_us)

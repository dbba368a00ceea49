"""One HTTP/2 connection as an asyncio Protocol driving the h2 library's state machine by callbacks.

The same shape as the HTTP/1.1 :class:`~loadpulse.protocols.http.connection.HttpConnection`: bytes come
in through ``data_received``, a finished stream goes straight to the owner (the pool) with no Future or
Task in between, and the owner decides what is sent next. What HTTP/2 adds:

- many streams at once, up to ``capacity`` (our ``--streams-per-connection``, lowered to the server's
  SETTINGS_MAX_CONCURRENT_STREAMS);
- writes batched: streams started while incoming bytes are handled (a finished stream's successor) go out
  in one write at the end of ``data_received``;
- flow control: received DATA is acknowledged as it is read, so the windows reopen (large windows are
  advertised up front, so a big body needs few WINDOW_UPDATEs); a request body larger than the server's
  window waits for its WINDOW_UPDATEs;
- GOAWAY: no new stream on the connection; streams above ``last_stream_id`` were not processed and go back
  to the owner to be sent elsewhere; the others may still finish (the library's state machine would refuse
  their frames after a GOAWAY, so the connection keeps it open: protocols/http2/state.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    PingReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import H2Error

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connection import TimedConnection, classify_exception
from loadpulse.protocols.http2 import server_faults
from loadpulse.protocols.http2.owner import StreamOwner
from loadpulse.protocols.http2.state import WINDOW, new_h2
from loadpulse.protocols.http2.stream import H2Stream

_PROTOCOL = ErrorKind.PROTOCOL.value
_RST = ErrorKind.H2_RST_STREAM.value
_GOAWAY = ErrorKind.H2_GOAWAY.value
_REFUSED = ErrorCodes.REFUSED_STREAM
_FLOOD_MIN = 1000
"""Control frames any connection may receive before :meth:`Http2Connection._flooded` looks."""
_STREAM_ID_LIMIT = 1 << 30
"""Past this stream id a connection takes no new stream (ids end at 2^31): the owner opens another."""


class Http2Connection(TimedConnection):
    __slots__ = (
        "capacity",
        "closed",
        "connect_us",
        "control",
        "draining",
        "early",
        "h2",
        "in_rx",
        "lost_early",
        "max_body",
        "now_ns",
        "owner",
        "ready",
        "rough_end",
        "sending",
        "sent_data",
        "served",
        "started",
        "streams",
        "tls_us",
        "transport",
        "wanted",
    )

    def __init__(
        self,
        owner: StreamOwner,
        streams: int,
        max_body: int = 0,
        now_ns: Callable[[], int] = perf_counter_ns,
    ) -> None:
        """``streams``: most streams at once we want on it; ``max_body``: body bytes kept per stream for a
        script (streams made with ``capture``)."""
        self.owner = owner
        self.wanted = streams
        self.capacity = streams
        """Streams it takes at once: ``wanted`` lowered to the server's MAX_CONCURRENT_STREAMS."""
        self.max_body = max_body
        self.now_ns = now_ns
        self.h2 = new_h2()
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, H2Stream] = {}
        self.sending: list[H2Stream] = []
        """Streams whose request body waits for the server's flow-control window."""
        self.ready: asyncio.Future[str | None] | None = None
        """Set when the server's first SETTINGS arrive (None) or the connection fails first (why)."""
        self.closed = False
        self.draining = False
        """GOAWAY received (or stream ids nearly used up): no new streams."""
        self.in_rx = False
        self.early: list[bytes] = []
        """Bytes the server sent before our preface went out (its SETTINGS): read right after it."""
        self.connect_us = 0
        self.tls_us = 0
        self.started = 0
        """Streams started here, resends included."""
        self.served = 0
        """Streams the server answered to their end here."""
        self.sent_data = 0
        """DATA frames of request bodies sent: what a server's WINDOW_UPDATEs answer."""
        self.control = 0
        """WINDOW_UPDATE and PING frames received: see _flooded."""
        self.rough_end = False
        """Ended by the server or for its fault (an error GOAWAY, a drop or reset, a protocol error), not
        by a graceful GOAWAY or by us: the pool backs off before the next connect (a server dropping every
        connection after a stream or two would otherwise meet a connect storm)."""
        self.lost_early: str | None = None
        """The kind a connection closed before the server's SETTINGS failed as (see connection_lost)."""

    @property
    def room(self) -> int:
        """How many more streams it takes now."""
        if self.draining or self.closed:
            return 0
        return self.capacity - len(self.streams)

    def load(self) -> int:
        return len(self.streams)

    # asyncio.Protocol -----------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def preface(self) -> asyncio.Future[str | None]:
        """Send the client preface and our SETTINGS (after TLS, when there is TLS); the future resolves
        when the server's SETTINGS arrive."""
        self.ready = asyncio.get_running_loop().create_future()
        h2 = self.h2
        h2.initiate_connection()
        h2.increment_flow_control_window(WINDOW)
        self.flush()
        early, self.early = self.early, []
        for data in early:
            self.data_received(data)
        return self.ready

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        ready = self.ready
        if ready is None:
            # Our preface is not out yet (TLS, or the loop ran the server's bytes first): answering its
            # SETTINGS now would put an ACK before the preface.
            self.early.append(data)
            return
        now = self.now_ns()
        if now > self.owner.stop_by_ns:
            # One loop turn can outlast the drain when many streams end at once; the streams still here are
            # the drain's unfinished ones, and reading on would only delay the end of the run.
            if self.transport is not None:
                self.transport.pause_reading()
            return
        if not ready.done() and data[:5] == b"HTTP/":
            version = data[:8].decode("latin-1")
            tls = self.transport is not None and self.transport.get_extra_info("ssl_object") is not None
            ready.set_result(f"it answered {version} to the {'HTTP/2' if tls else 'h2c'} preface")
            self.close()
            return
        h2 = self.h2
        limit = h2.remote_settings.max_concurrent_streams
        try:
            events: list[Any] = h2.receive_data(data)
        except H2Error as exc:
            self._broken(str(exc) or type(exc).__name__)
            return
        oversized = h2.oversized_frame()
        if oversized:
            self._broken(server_faults.oversized_frame(oversized, h2.max_inbound_frame_size))
            return
        if h2.remote_settings.max_concurrent_streams != limit:
            # New SETTINGS: the library has queued their ACK already, so a stream started for an event
            # before them would go out after the ACK, above a lowered limit (a protocol error).
            self._settings()
        streams = self.streams
        owner = self.owner
        self.in_rx = True
        try:
            for ev in events:
                kind = type(ev)
                if kind is DataReceived:
                    stream = streams.get(ev.stream_id)
                    self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    if stream is not None:
                        chunk = ev.data
                        stream.rx += len(chunk)
                        stream.last_rx_ns = now
                        parts = stream.parts
                        if parts is not None and not stream.truncated:
                            self._keep(stream, parts, chunk)
                elif kind is ResponseReceived:
                    stream = streams.get(ev.stream_id)
                    if stream is not None:
                        stream.first_byte_ns = stream.last_rx_ns = now
                        headers = ev.headers
                        for k, v in headers:
                            if k == b":status":
                                if len(v) == 3 and v.isdigit():
                                    stream.status = int(v)
                                break
                        if not stream.status:
                            self._malformed(stream, headers)
                        elif stream.parts is not None:
                            stream.headers = headers
                elif kind is StreamEnded:
                    stream = streams.pop(ev.stream_id, None)
                    if stream is not None:
                        stream.last_rx_ns = now
                        self.served += 1
                        if stream.body is not None:
                            # Answered before its body was all sent: stop sending it (RFC 9113 8.1).
                            self._drop_sending(stream)
                            with contextlib.suppress(H2Error):
                                self.h2.reset_stream(ev.stream_id, ErrorCodes.NO_ERROR)
                        self.h2.forget(ev.stream_id)
                        owner.on_stream_done(self, stream)
                    else:
                        self.h2.forget(ev.stream_id)
                elif kind is StreamReset:
                    stream = streams.pop(ev.stream_id, None)
                    self.h2.forget(ev.stream_id)
                    if stream is not None:
                        self._drop_sending(stream)
                        if ev.error_code == _REFUSED and not stream.first_byte_ns:
                            owner.on_stream_unsent(self, stream, _RST)
                        else:
                            owner.on_stream_failed(self, stream, _RST)
                elif kind is WindowUpdated:
                    self.control += 1
                    if self.sending:
                        self._pump()
                    elif self.control > _FLOOD_MIN and self._flooded():
                        return
                elif kind is RemoteSettingsChanged:
                    if not ready.done():
                        self._settings()
                        ready.set_result(None)
                elif kind is PingReceived:
                    self.control += 1
                    if self.control > _FLOOD_MIN and self._flooded():
                        return
                elif kind is ConnectionTerminated:
                    self._goaway(ev.last_stream_id or 0, ev.error_code, ev.additional_data)
        finally:
            self.in_rx = False
        self.flush()
        if self.draining and not self.streams:
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        ready = self.ready
        if ready is not None and not ready.done():
            # Not proof that it does not speak HTTP/2 (a server at its connection limit closes, too): a
            # failed connect of the kind the close was (connect.py).
            self.lost_early = classify_exception(exc)
            ready.set_result(f"the connection closed before the server's HTTP/2 SETTINGS ({exc or 'EOF'})")
        if not self.closed:
            # Closed by the peer (or the network) with streams on it: a GOAWAY said it was going away.
            self.closed = True
            self.rough_end = not self.draining or bool(self.streams)
            self._fail_all(_GOAWAY if self.draining else classify_exception(exc))
        self.owner.on_closed(self)

    # owner API ------------------------------------------------------------------------------------------
    def start(self, stream: H2Stream) -> None:
        """Send ``stream`` now (the owner checked :attr:`room`)."""
        h2 = self.h2
        sid = h2.get_next_available_stream_id()
        if sid >= _STREAM_ID_LIMIT:
            self.draining = True
            self.owner.on_capacity(self)
        stream.id = sid
        self.streams[sid] = stream
        self.started += 1
        now = stream.sent_ns = stream.last_rx_ns = self.now_ns()
        if not stream.began_ns:
            stream.began_ns = now
        stream.first_byte_ns = 0
        request = stream.request
        stream.tx += 9 + len(request.block)
        body = request.body
        h2.send_block(sid, request, body is None)
        if body is not None:
            stream.body = memoryview(body)
            self.sending.append(stream)
            self._pump()
        if not self.in_rx:
            self.flush()

    def reset(self, stream: H2Stream, kind: str) -> None:
        """Give up on ``stream`` as ``kind`` (a timeout): RST_STREAM(CANCEL) to the server."""
        if self.streams.pop(stream.id, None) is None:
            return
        self._drop_sending(stream)
        if not self.closed:
            with contextlib.suppress(H2Error):  # already closed on its side
                self.h2.reset_stream(stream.id, ErrorCodes.CANCEL)
            self.h2.forget(stream.id)
            self.flush()
        self.owner.on_stream_failed(self, stream, kind)
        if self.draining and not self.streams:
            self.close()

    def fail(self, kind: str) -> None:
        """Drop the connection, every stream on it failed as ``kind``."""
        if self.closed:
            return
        self.closed = True
        self.rough_end = True
        self._fail_all(kind)
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        """Close it (streams still on it are failed by connection_lost as ``unfinished`` elsewhere)."""
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.abort()

    def flush(self) -> None:
        out = self.h2.data_to_send()
        if out and self.transport is not None and not self.closed:
            self.transport.write(out)

    # internals ------------------------------------------------------------------------------------------
    def _settings(self) -> None:
        limit = self.h2.remote_settings.max_concurrent_streams
        capacity = min(self.wanted, limit)
        if capacity != self.capacity:
            self.capacity = capacity
            self.owner.on_capacity(self)
        during_run = self.ready is not None and self.ready.done()
        for said in server_faults.stream_limit(limit, self.wanted, during_run):
            self.owner.warn(said)

    def _flooded(self) -> bool:
        """A server sending control frames far beyond what the connection's traffic calls for (a
        WINDOW_UPDATE or PING flood) keeps the loop parsing them: a protocol abuse, dropped."""
        if self.control <= 4 * (self.started + self.sent_data) + _FLOOD_MIN:
            return False
        self._broken(server_faults.flood(self.control, self.started, self.sent_data))
        return True

    def _broken(self, what: str) -> None:
        """The server broke the protocol (a connection error): drop the connection, said once."""
        ready = self.ready
        if ready is not None and not ready.done():
            # Its first bytes: no HTTP/2 server there (the opener says so once, as for an HTTP/1 answer).
            ready.set_result(f"it broke the protocol at once: {what}")
            self.fail(_PROTOCOL)
            return
        self.owner.warn(server_faults.broken(what))
        self.fail(_PROTOCOL)

    def _malformed(self, stream: H2Stream, headers: list[tuple[bytes, bytes]]) -> None:
        """A response without a valid ``:status`` (RFC 9113 8.1.1: a stream error, PROTOCOL_ERROR)."""
        sid = stream.id
        del self.streams[sid]
        self._drop_sending(stream)
        with contextlib.suppress(H2Error):
            self.h2.reset_stream(sid, ErrorCodes.PROTOCOL_ERROR)
        self.h2.forget(sid)
        self.owner.warn(server_faults.malformed(next((v for k, v in headers if k == b":status"), None)))
        self.owner.on_stream_failed(self, stream, _PROTOCOL)

    def _keep(self, stream: H2Stream, parts: list[bytes], chunk: bytes) -> None:
        kept = stream.rx - len(chunk)
        room = self.max_body - kept
        if len(chunk) > room:
            chunk = chunk[: max(room, 0)]
            stream.truncated = True
        if chunk:
            parts.append(chunk)

    def _pump(self) -> None:
        """Send what request bodies the flow-control windows allow."""
        h2 = self.h2
        for stream in list(self.sending):
            body = stream.body
            assert body is not None
            while body:
                n = min(len(body), h2.local_flow_control_window(stream.id), h2.max_outbound_frame_size)
                if n <= 0:
                    break
                try:
                    h2.send_data(stream.id, body[:n].tobytes(), end_stream=n == len(body))
                except H2Error:
                    # Closed by the server already (an RST_STREAM read with the WINDOW_UPDATE that woke
                    # us, handled next): nothing more of it goes out.
                    body = body[:0]
                    break
                self.sent_data += 1
                stream.tx += 9 + n
                body = body[n:]
            if body:
                stream.body = body
            else:
                stream.body = None
                self.sending.remove(stream)

    def _drop_sending(self, stream: H2Stream) -> None:
        if stream.body is not None:
            stream.body = None
            self.sending.remove(stream)

    def _goaway(self, last_id: int, error_code: object, debug: bytes | None = None) -> None:
        self.draining = True
        owner = self.owner
        owner.on_capacity(self)
        # What it will have served: those answered, and those at or below the last id still to be.
        serves = self.served + sum(1 for sid in self.streams if sid <= last_id)
        said = server_faults.goaway(error_code, debug, serves)
        if said is not None:
            owner.warn(said)
        if error_code != 0:
            self.rough_end = True
        # A graceful GOAWAY after the server took streams here is a connection's end of life (nginx ends
        # one every keepalive_requests streams, and the closed model keeps every connection full, so a
        # stream can land on several such ends in a row): not a failure of the stream. One that took no
        # stream, or an error GOAWAY, counts against the stream's resends (a server that never serves).
        counted = error_code != 0 or last_id == 0
        for sid in [s for s in self.streams if s > last_id]:
            stream = self.streams.pop(sid)
            self._drop_sending(stream)
            owner.on_stream_unsent(self, stream, _GOAWAY, counted)
        if error_code != 0:
            # An error GOAWAY: the server is dropping the connection; what it kept may never complete.
            self.fail(_GOAWAY)

    def _fail_all(self, kind: str) -> None:
        streams = list(self.streams.values())
        self.streams.clear()
        self.sending.clear()
        for stream in streams:
            stream.body = None
            self.owner.on_stream_failed(self, stream, kind)

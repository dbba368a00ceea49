"""What every load model shares: connections to one endpoint, recording, timeouts, reconnects, drain.

A driver owns its connections (it is their ConnectionOwner): a response or failure comes back as a
callback and the driver records it and decides what the connection does next. The closed and open models
differ only in that decision, which subclasses make in :meth:`LoadDriver.next_after` and
:meth:`LoadDriver.after_failure`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from time import perf_counter_ns

from loadpulse.engine.mix import mix_cycle
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import ConnectError, Endpoint, open_connection
from loadpulse.protocols.http.connection import IDEMPOTENT, HttpConnection
from loadpulse.protocols.http.status import http_status_kind


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request encoded once and sent many times; ``weight`` is its share of a request mix."""

    name: str
    data: bytes
    head: bool = False
    weight: float = 1.0


class Stream:
    """A prepared request bound to its name's recorder buffers (cached bound methods: the hot path)."""

    __slots__ = ("data", "head", "idempotent", "lat", "rec", "status", "svc", "ttfb")

    def __init__(self, request: PreparedRequest, recorder: Recorder) -> None:
        rec = self.rec = recorder.for_name(request.name, http_status_kind)
        self.data = request.data
        self.head = request.head
        self.idempotent = request.data.split(b" ", 1)[0].decode("latin-1") in IDEMPOTENT
        """May be resent after the keep-alive close race (see HttpConnection.is_stale)."""
        self.lat = rec.lat.append
        self.svc = rec.svc.append
        self.ttfb = rec.ttfb.append
        self.status = rec.status.append


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 10.0
    """Longest silence while waiting for response bytes."""
    total_s: float = 10.0
    """Longest a request may take from its send (or intended start, open model) to the last byte."""


class LoadDriver:
    co_corrected = False
    """True when latency is measured from intended start times (open model)."""

    def __init__(
        self,
        endpoint: Endpoint,
        requests: Sequence[PreparedRequest],
        recorder: Recorder,
        timeouts: Timeouts,
    ) -> None:
        if not requests:
            raise ValueError("a driver needs at least one request")
        self.endpoint = endpoint
        self.recorder = recorder
        self.timeouts = timeouts
        self.streams = [Stream(r, recorder) for r in requests]
        self._full_readers = any(r.head for r in requests)
        self._cycle = mix_cycle([r.weight for r in requests]) if len(requests) > 1 else [0]
        self._next = 0
        self.conns: set[HttpConnection] = set()
        self.stopping = False
        self.abandoned = 0
        self.t0_ns = 0
        self.warnings: list[str] = []
        """Said once each at the end of the run (e.g. why TLS failed); the runner prints them."""
        self.last_connect_error = ""
        """Error kind of the latest failed connect (what the open model's backoff counts arrivals as)."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: asyncio.Future[None] | None = None

    # lifecycle ------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Work done before the run's clock starts (nothing by default)."""

    def start(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self._finished = asyncio.get_running_loop().create_future()
        self.spawn(self._watchdog())
        self.begin()

    def begin(self) -> None:
        raise NotImplementedError

    @property
    def finished(self) -> asyncio.Future[None]:
        assert self._finished is not None, "start() first"
        return self._finished

    def finish(self) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(None)

    def stop(self) -> None:
        """No new requests from now on; in-flight ones may complete (see :meth:`drain`)."""
        self.stopping = True

    def in_flight(self) -> int:
        return sum(1 for c in self.conns if c.busy)

    def connection_count(self) -> int:
        return len(self.conns)

    async def drain(self, grace_s: float) -> None:
        """Wait up to ``grace_s`` for in-flight requests, then abandon the rest and close everything."""
        self.stop()
        deadline = perf_counter_ns() + int(grace_s * 1e9)
        while self.in_flight() and perf_counter_ns() < deadline:
            await asyncio.sleep(0.01)
        for conn in list(self.conns):
            if conn.busy:
                # Unanswered at the end is a failure the thresholds must see (a blackhole target would
                # otherwise PASS errors.count == 0 with no request counted at all).
                self.abandoned += 1
                conn.busy = False
                if isinstance(conn.user, Stream):
                    conn.user.rec.error(ErrorKind.UNFINISHED.value)
            conn.close()
        self.conns.clear()
        for task in list(self._tasks):
            task.cancel()
        self.finish()

    def spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ConnectionOwner ------------------------------------------------------------------------------------
    def on_response(self, conn: HttpConnection) -> None:
        now = conn.last_rx_ns  # when the last chunk arrived: before parsing it, and one clock read saved
        sent = conn.sent_ns
        stream: Stream = conn.user  # type: ignore[assignment]
        if self.co_corrected:
            stream.lat((now - conn.intended_ns) // 1000)
            stream.svc((now - sent) // 1000)
        else:
            stream.lat((now - sent) // 1000)
        stream.ttfb((conn.first_byte_ns - sent) // 1000)
        reader = conn.reader
        stream.status(reader.status)
        stream.rec.bytes_in += reader.rx
        self.next_after(conn)

    def on_failure(self, conn: HttpConnection, kind: str) -> None:
        self.conns.discard(conn)
        stream: Stream = conn.user  # type: ignore[assignment]
        if stream.idempotent and conn.is_stale(kind):
            self.retry(conn)
            return
        if kind == ErrorKind.TIMEOUT.value:
            # A timed-out request stays in the latency record at the time it was given up on: dropping it
            # would hide exactly the stalls a load test exists to find.
            now = perf_counter_ns()
            start = conn.intended_ns if self.co_corrected else conn.sent_ns
            stream.lat((now - start) // 1000)
            if self.co_corrected:
                stream.svc((now - conn.sent_ns) // 1000)
        stream.rec.bytes_in += conn.reader.rx  # what did arrive was on the wire (e.g. an endless body)
        stream.rec.error(kind)
        self.after_failure(conn)

    def on_idle_closed(self, conn: HttpConnection) -> None:
        self.conns.discard(conn)
        self.after_idle_closed(conn)

    # subclass decisions ---------------------------------------------------------------------------------
    def next_after(self, conn: HttpConnection) -> None:
        raise NotImplementedError

    def after_failure(self, conn: HttpConnection) -> None:
        raise NotImplementedError

    def after_idle_closed(self, conn: HttpConnection) -> None:
        raise NotImplementedError

    def retry(self, conn: HttpConnection) -> None:
        raise NotImplementedError

    # helpers --------------------------------------------------------------------------------------------
    def new_connection(self) -> HttpConnection:
        return HttpConnection(self, full=self._full_readers)

    def pick(self) -> Stream:
        """The next request of the mix."""
        cycle = self._cycle
        i = self._next
        self._next = i + 1 if i + 1 < len(cycle) else 0
        return self.streams[cycle[i]]

    async def connect(self, stream: Stream, count_failure: bool = True) -> HttpConnection | None:
        """A fresh connection (its connect/TLS times recorded under ``stream``'s name), or None after
        recording the connect failure as a failed ``stream`` request when ``count_failure``."""
        try:
            conn = await open_connection(self.endpoint, self.new_connection)
        except ConnectError as exc:
            self.last_connect_error = exc.kind
            if exc.kind in (ErrorKind.TLS.value, ErrorKind.FD_LIMIT.value):
                self.warn(f"{exc.kind} connecting to {self.endpoint.origin.host_header}: {exc.detail}")
            if count_failure:
                stream.rec.error(exc.kind)
            return None
        stream.rec.connect.append(conn.connect_us)
        if self.endpoint.ssl_context is not None:
            stream.rec.tls.append(conn.tls_us)
        if self.stopping:
            conn.close()
            return None
        self.conns.add(conn)
        return conn

    def warn(self, message: str) -> None:
        """Add a warning for the end of the run, once however often it happens."""
        if message not in self.warnings and len(self.warnings) < 20:
            self.warnings.append(message)

    def send(self, conn: HttpConnection, stream: Stream) -> None:
        conn.user = stream
        stream.rec.bytes_out += len(stream.data)
        conn.send(stream.data, stream.head)

    async def _watchdog(self) -> None:
        t = self.timeouts
        total_ns, read_ns = int(t.total_s * 1e9), int(t.read_s * 1e9)
        period = min(0.1, t.total_s / 10, t.read_s / 10)
        while True:
            await asyncio.sleep(period)
            now = perf_counter_ns()
            for conn in list(self.conns):
                if not conn.busy:
                    continue
                start = conn.intended_ns if self.co_corrected else conn.sent_ns
                if now - start > total_ns or now - conn.last_rx_ns > read_ns:
                    conn.fail(ErrorKind.TIMEOUT.value)

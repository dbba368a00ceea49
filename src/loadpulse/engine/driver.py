"""What every load model shares: connections to one endpoint, recording, timeouts, reconnects, drain.

A driver owns its connections (it is their ConnectionOwner): a response or failure comes back as a
callback and the driver records it and decides what the connection does next. The closed and open models
differ only in that decision, which subclasses make in :meth:`LoadDriver.next_after` and
:meth:`LoadDriver.after_failure`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.driver_lifecycle import DriverLifecycle
from loadpulse.engine.mix import mix_cycle
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import ConnectError, Endpoint, open_connection
from loadpulse.protocols.http.connection import IDEMPOTENT, HttpConnection
from loadpulse.protocols.http.recording import RequestRecording
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.http.timeouts import TimeoutWatch


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request encoded once and sent many times; ``weight`` is its share of a request mix."""

    name: str
    data: bytes
    head: bool = False
    weight: float = 1.0


class BoundRequest(RequestRecording):
    """A prepared request bound to its name's recorder buffers (see RequestRecording: the hot path)."""

    __slots__ = ("data", "head", "idempotent")

    def __init__(self, request: PreparedRequest, recorder: Recorder, service: bool) -> None:
        super().__init__(recorder.for_name(request.name, http_status_kind), service)
        self.data = request.data
        self.head = request.head
        self.idempotent = request.data.split(b" ", 1)[0].decode("latin-1") in IDEMPOTENT
        """May be resent after the keep-alive close race (see HttpConnection.is_stale)."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 10.0
    """Longest silence while waiting for response bytes."""
    total_s: float = 10.0
    """Longest a request may take from its intended start (open model), else its send, to the last byte
    (the one rule, in protocols/http/timeouts.py)."""


class LoadDriver(DriverLifecycle):
    def __init__(
        self,
        endpoint: Endpoint,
        requests: Sequence[PreparedRequest],
        recorder: Recorder,
        timeouts: Timeouts,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        if not requests:
            raise ValueError("a driver needs at least one request")
        super().__init__()
        self.endpoint = endpoint
        self.recorder = recorder
        self.timeouts = timeouts
        self.clock = clock
        self.requests = [BoundRequest(r, recorder, self.co_corrected) for r in requests]
        self._full_readers = any(r.head for r in requests)
        self._cycle = mix_cycle([r.weight for r in requests]) if len(requests) > 1 else [0]
        self._next = 0
        self.conns: set[HttpConnection] = set()
        self.last_connect_error = ""
        """Error kind of the latest failed connect (what the open model's backoff counts arrivals as)."""

    # lifecycle ------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Work done before the run's clock starts (nothing by default)."""

    def start(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self._finished = asyncio.get_running_loop().create_future()
        watch = TimeoutWatch(self.timeouts.read_s, self.timeouts.total_s, self.clock)
        self.spawn(watch.sweep(lambda: self.conns))
        self.begin()

    def in_flight(self) -> int:
        return sum(1 for c in self.conns if c.busy)

    def connection_count(self) -> int:
        return len(self.conns)

    async def drain(self, grace_s: float) -> None:
        """Wait up to ``grace_s`` for in-flight requests, then abandon the rest and close everything."""
        self.stop()
        clock = self.clock
        deadline = clock.now_ns() + int(grace_s * 1e9)
        while self.in_flight() and clock.now_ns() < deadline:
            await clock.sleep(0.01)
        for conn in list(self.conns):
            if conn.busy:
                # Unanswered at the end is a failure the thresholds must see (a blackhole target would
                # otherwise PASS errors.count == 0 with no request counted at all).
                self.abandoned += 1
                conn.busy = False
                if isinstance(conn.user, BoundRequest):
                    conn.user.rec.error(ErrorKind.UNFINISHED.value)
            conn.close()
        self.conns.clear()
        self.cancel_tasks()
        self.finish()

    # ConnectionOwner ------------------------------------------------------------------------------------
    def on_response(self, conn: HttpConnection) -> None:
        conn.user.response(conn)  # type: ignore[attr-defined]  # a BoundRequest: see send()
        self.next_after(conn)

    def on_failure(self, conn: HttpConnection, kind: str) -> None:
        self.conns.discard(conn)
        request: BoundRequest = conn.user  # type: ignore[assignment]
        if request.idempotent and conn.is_stale(kind):
            self.retry(conn)
            return
        request.failure(conn, kind, self.clock.now_ns())
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
        return HttpConnection(self, full=self._full_readers, now_ns=self.clock.now_ns)

    def pick(self) -> BoundRequest:
        """The next request of the mix."""
        cycle = self._cycle
        i = self._next
        self._next = i + 1 if i + 1 < len(cycle) else 0
        return self.requests[cycle[i]]

    async def connect(self, request: BoundRequest, count_failure: bool = True) -> HttpConnection | None:
        """A fresh connection (its connect/TLS times recorded under ``request``'s name), or None after
        recording the connect failure as a failed ``request`` when ``count_failure``."""
        try:
            conn = await open_connection(self.endpoint, self.new_connection)
        except ConnectError as exc:
            self.last_connect_error = exc.kind
            if exc.kind in (ErrorKind.TLS.value, ErrorKind.FD_LIMIT.value):
                self.warn(f"{exc.kind} connecting to {self.endpoint.origin.host_header}: {exc.detail}")
            if count_failure:
                request.rec.error(exc.kind)
            return None
        request.connected(conn, self.endpoint.ssl_context is not None)
        if self.stopping:
            conn.close()
            return None
        self.conns.add(conn)
        return conn

    def send(self, conn: HttpConnection, request: BoundRequest) -> None:
        conn.user = request
        request.rec.bytes_out += len(request.data)
        conn.send(request.data, request.head)

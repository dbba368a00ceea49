"""The one-liner over HTTP/2 (``loadpulse http --h2``): requests as streams multiplexed over few connections.

The HTTP/1.1 drivers (driver.py, closed.py, open.py) keep one request per connection; here ``-c``
connections each carry up to ``--streams-per-connection`` streams (capped by the server's
SETTINGS_MAX_CONCURRENT_STREAMS), which :class:`~loadpulse.protocols.http2.pool.H2Pool` hands out. The
driver is the pool's sink: a finished stream is recorded and, in the closed model, followed by the next
request at once, in the same callback (the HTTP/1.1 path's shape, with no Future or Task per request).

- Closed model: ``-c x streams`` requests in flight at all times (h2load's ``-c``/``-m``); ``-n`` exact.
- Open model: arrivals at ``--rate`` from the one schedule (engine/schedule.py), latency from each intended
  start; an arrival that finds ``--max-in-flight`` streams outstanding is dropped; connections beyond
  ``-c`` are opened when every one is full.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.driver import Timeouts
from loadpulse.engine.driver_lifecycle import DriverLifecycle
from loadpulse.engine.mix import mix_cycle
from loadpulse.engine.schedule import ArrivalScheduler
from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.profiles.base import ArrivalSchedule
from loadpulse.profiles.constant_rate import SteadyRate
from loadpulse.protocols.http.connect import Endpoint
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.http.url import parse_url
from loadpulse.protocols.http2.connect import NotHttp2, h2_ssl_context
from loadpulse.protocols.http2.connection import Http2Connection
from loadpulse.protocols.http2.pool import H2Pool
from loadpulse.protocols.http2.request import h2_request
from loadpulse.protocols.http2.stream import H2Request, H2Stream, StreamRecording
from loadpulse.spec import RunSpec, request_name


class BoundH2Request(StreamRecording):
    """A prepared request bound to its name's recorder buffers."""

    __slots__ = ("request", "weight")

    def __init__(self, request: H2Request, weight: float, recorder: Recorder, service: bool) -> None:
        super().__init__(recorder.for_name(request.name, http_status_kind), service)
        self.request = request
        self.weight = weight


class H2Load(DriverLifecycle):
    def __init__(
        self,
        endpoint: Endpoint,
        requests: Sequence[tuple[H2Request, float]],
        recorder: Recorder,
        timeouts: Timeouts,
        connections: int,
        streams: int,
        max_conns: int,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        if not requests:
            raise ValueError("a driver needs at least one request")
        super().__init__()
        self.recorder = recorder
        self.timeouts = timeouts
        self.clock = clock
        self.connections = connections
        self.requests = [BoundH2Request(r, w, recorder, self.co_corrected) for r, w in requests]
        self._cycle = mix_cycle([w for _, w in requests]) if len(requests) > 1 else [0]
        self._next = 0
        self.pool = H2Pool(
            endpoint, self, clock, streams, max_conns, fail_fast=self.co_corrected, warn=self.warn
        )
        self.outstanding = 0

    # lifecycle ------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Open the ``-c`` connections before the clock starts; a server that does not speak HTTP/2 is
        bad input, said once."""
        try:
            await self.pool.warm(self.connections)
        except NotHttp2 as exc:
            raise BadInput(exc.detail) from None

    def start(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self._finished = asyncio.get_running_loop().create_future()
        self.spawn(self._sweep())
        self.begin()

    def in_flight(self) -> int:
        return self.outstanding

    def connection_count(self) -> int:
        return len(self.pool.conns)

    async def drain(self, grace_s: float) -> None:
        self.stop()
        clock = self.clock
        deadline = clock.now_ns() + int(grace_s * 1e9)
        pool = self.pool
        pool.stop_by_ns = deadline
        # No connect after the end (one backing off would keep the run past its duration for a stream
        # that was never sent): what waits for one is unfinished now, not after the grace.
        pool.quiesce()
        while self.outstanding and clock.now_ns() < deadline and pool.may_progress():
            await clock.sleep(0.01)
        for stream in list(self.pool.outstanding()):
            self.abandoned += 1
            stream.user.stream_unfinished(stream)
        self.pool.close()
        self.cancel_tasks()
        self.finish()

    async def _sweep(self) -> None:
        t = self.timeouts
        total_ns, read_ns = int(t.total_s * 1e9), int(t.read_s * 1e9)
        period = min(0.1, t.read_s / 10, t.total_s / 10)
        clock = self.clock
        while True:
            await clock.sleep(period)
            self.pool.sweep(clock.now_ns(), total_ns, read_ns)

    # requests -------------------------------------------------------------------------------------------
    def send(self, intended_ns: int) -> None:
        cycle = self._cycle
        i = self._next
        self._next = i + 1 if i + 1 < len(cycle) else 0
        bound = self.requests[cycle[i]]
        stream = H2Stream(bound.request, intended_ns)
        stream.user = bound
        self.outstanding += 1
        self.pool.dispatch(stream)

    # StreamSink -----------------------------------------------------------------------------------------
    def done(self, stream: H2Stream) -> None:
        stream.user.stream_done(stream)
        self.outstanding -= 1
        self.next_after()

    def failed(self, stream: H2Stream, kind: str) -> None:
        stream.user.stream_failed(stream, kind, self.clock.now_ns())
        self.outstanding -= 1
        self.next_after()

    def connected(self, conn: Http2Connection, waiting: H2Stream | None) -> None:
        bound = waiting.user if waiting is not None else self.requests[0]
        bound.connected(conn, conn.tls_us > 0)  # type: ignore[arg-type]  # reads connect_us/tls_us only

    def capacity_changed(self) -> None:
        pass

    def next_after(self) -> None:
        raise NotImplementedError


RAMP_BATCH = 500
"""Streams a closed run starts per loop turn while it fills its window (~20 ms of Python): at once (-c 100
x 100 streams = 10,000 sends, ~0.3 s) nothing else would run meanwhile: no timer, no response, no stop."""


class H2ClosedLoad(H2Load):
    """``-c`` connections x ``--streams-per-connection`` streams, each followed by the next at once.

    What is kept in flight follows what the connections take (:meth:`capacity_changed`): each open one
    its streams (the server's SETTINGS_MAX_CONCURRENT_STREAMS when lower than asked), each one not open
    (yet, or again after a GOAWAY or a failed connect) a single stream, which opens it. More would wait in
    the pool's queue unsent, and a failed connect would fail a whole connection's worth of requests that
    were never sent: a server that is down would read as thousands of failures per second.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        requests: Sequence[tuple[H2Request, float]],
        recorder: Recorder,
        timeouts: Timeouts,
        connections: int,
        streams: int,
        budget: int | None,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        super().__init__(endpoint, requests, recorder, timeouts, connections, streams, connections, clock)
        self.target = connections
        """Streams kept in flight now (see the class)."""
        self.remaining = budget
        self._began = False
        self._filling = False

    def _take(self) -> bool:
        if self.stopping:
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        return True

    def begin(self) -> None:
        self._began = True
        self.capacity_changed()
        if not self._filling and not self.outstanding:
            self.finish()  # nothing to send (a budget of 0)

    def capacity_changed(self) -> None:
        live = [c for c in self.pool.conns if not c.draining and not c.closed]
        room = sum(c.capacity for c in live) + max(0, self.connections - len(live))
        self.target = max(self.connections, room)
        if self._began and not self._filling and self.outstanding < self.target and not self.stopping:
            self._filling = True
            self.spawn(self._fill())

    async def _fill(self) -> None:
        """Bring the streams in flight up to the target, RAMP_BATCH per loop turn."""
        pool = self.pool
        more = True
        try:
            while more and self.outstanding < self.target:
                pool.cork()
                try:
                    for _ in range(min(self.target - self.outstanding, RAMP_BATCH)):
                        if not self._take():
                            more = False
                            break
                        self.send(0)
                finally:
                    pool.uncork()
                if more:
                    await asyncio.sleep(0)
        finally:
            self._filling = False
        if not self.outstanding:
            self.finish()

    def next_after(self) -> None:
        if self.outstanding < self.target and self._take():
            self.send(0)
        elif not self.outstanding:
            self.finish()


class H2OpenLoad(H2Load):
    co_corrected = True

    def __init__(
        self,
        endpoint: Endpoint,
        requests: Sequence[tuple[H2Request, float]],
        recorder: Recorder,
        timeouts: Timeouts,
        connections: int,
        streams: int,
        rate: float,
        max_in_flight: int,
        budget: int | None,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        max_conns = max(connections, -(-max_in_flight // streams))
        super().__init__(endpoint, requests, recorder, timeouts, connections, streams, max_conns, clock)
        self.rate = rate
        self.max_in_flight = max_in_flight
        self.limit = budget
        self.schedule: ArrivalSchedule | None = None
        """A worker's stripe of the whole run's arrivals (``--workers``); None: ``rate`` itself."""

    def begin(self) -> None:
        self.spawn(self._schedule())

    async def _schedule(self) -> None:
        schedule = self.schedule if self.schedule is not None else SteadyRate(self.rate)
        await ArrivalScheduler(schedule, self.t0_ns, self.clock, self.limit).run(self)
        while self.outstanding and not self.stopping:
            await self.clock.sleep(0.005)
        self.finish()

    # ArrivalSink ----------------------------------------------------------------------------------------
    def room(self) -> int:
        return max(0, self.max_in_flight - self.outstanding)

    def drop(self, n: int) -> None:
        self.recorder.dropped += n

    def arrive(self, intended_ns: int) -> None:
        self.send(intended_ns)

    def next_after(self) -> None:
        pass


def build_h2_driver(spec: RunSpec, recorder: Recorder) -> H2Load:
    """The HTTP/2 driver for ``spec`` (``--h2``): one origin, its requests as header lists."""
    targets = [parse_url(r.url) for r in spec.requests]
    origin = targets[0].origin
    for req, target in zip(spec.requests, targets, strict=True):
        if target.origin != origin:
            raise BadInput(
                f"request {req.url!r} is on another origin than {spec.request.url!r}; "
                "one run targets one origin"
            )
    endpoint = Endpoint.resolved(
        origin, h2_ssl_context(spec.insecure) if origin.tls else None, spec.timeouts.connect_s
    )
    requests = [
        (h2_request(request_name(req), req.method, origin, target.path, req.headers, req.body), req.weight)
        for req, target in zip(spec.requests, targets, strict=True)
    ]
    t = spec.timeouts
    timeouts = Timeouts(connect_s=t.connect_s, read_s=t.read_s, total_s=t.total_s)
    load = spec.load
    streams = spec.streams_per_connection
    if load.rate is not None:
        return H2OpenLoad(
            endpoint,
            requests,
            recorder,
            timeouts,
            connections=load.connections,
            streams=streams,
            rate=load.rate,
            max_in_flight=load.effective_max_in_flight,
            budget=load.requests,
        )
    return H2ClosedLoad(
        endpoint, requests, recorder, timeouts, load.effective_connections, streams, load.requests
    )

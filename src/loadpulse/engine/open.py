"""Open model: requests arrive at a constant rate whatever the target does (wrk2/k6 constant-arrival-rate).

Latency is measured from each arrival's *intended* start, so a stalling target shows up in full
(coordinated-omission corrected); service time from the actual send is recorded beside it. An arrival that
finds ``max_in_flight`` requests outstanding is counted as dropped, never queued or silently delayed.

After a failed connect the driver backs off (10 ms doubling to 1 s, reset by a connect that works): an
arrival that needs a new connection during the pause is counted as failed with the kind of the last
connect failure, without trying. Arrivals are never delayed, and a refused or fd-limited target (EMFILE
fails without suspending) costs one counter per arrival instead of a task and a socket each, so the event
loop is never starved. A target that comes back is noticed within the pause (at most 1 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.driver import BoundRequest, LoadDriver, PreparedRequest, Timeouts
from loadpulse.engine.schedule import ArrivalScheduler
from loadpulse.metrics.recorder import Recorder
from loadpulse.profiles.base import ArrivalSchedule
from loadpulse.profiles.constant_rate import SteadyRate
from loadpulse.protocols.http.connect import Endpoint, connect_backoff_s
from loadpulse.protocols.http.connection import HttpConnection


class OpenLoad(LoadDriver):
    co_corrected = True

    def __init__(
        self,
        endpoint: Endpoint,
        requests_mix: Sequence[PreparedRequest],
        recorder: Recorder,
        timeouts: Timeouts,
        rate: float,
        max_in_flight: int,
        requests: int | None,
        warm_connections: int,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        super().__init__(endpoint, requests_mix, recorder, timeouts, clock)
        self.rate = rate
        self.schedule: ArrivalSchedule | None = None
        """A worker's stripe of the whole run's arrivals (``--workers``); None: ``rate`` itself."""
        self.max_in_flight = max_in_flight
        self.limit = requests
        self.warm = min(warm_connections, max_in_flight)
        self.idle: list[HttpConnection] = []
        self.connecting = 0
        self.busy_count = 0
        self.connect_failures = 0
        """Consecutive failed connects; sets the backoff pause."""
        self.paused_until_ns = 0
        """No new connection is attempted before this time (0: no pause)."""

    def begin(self) -> None:
        self.spawn(self._schedule())

    async def prepare(self) -> None:
        """Open the ``-c`` connections before the clock starts, so the first arrivals find them ready."""
        # Pre-opened connections are not requests: a failure here is not counted (the first arrival that
        # finds no idle connection connects itself and counts it).
        first = self.requests[0]
        conns = await asyncio.gather(*(self.connect(first, count_failure=False) for _ in range(self.warm)))
        self.idle.extend(c for c in conns if c is not None)

    async def _schedule(self) -> None:
        schedule = self.schedule if self.schedule is not None else SteadyRate(self.rate)
        scheduler = ArrivalScheduler(schedule, self.t0_ns, self.clock, self.limit)
        await scheduler.run(self)
        await self._wait_idle()
        self.finish()

    # ArrivalSink ----------------------------------------------------------------------------------------
    def room(self) -> int:
        # Arrivals beyond every idle connection and every free in-flight slot are dropped in one step, and
        # a batch must not start more connects than max_in_flight allows.
        return len(self.idle) + max(0, self.max_in_flight - self.busy_count - self.connecting)

    def drop(self, n: int) -> None:
        self.recorder.dropped += n

    async def _wait_idle(self) -> None:
        while (self.busy_count or self.connecting) and not self.stopping:
            await self.clock.sleep(0.005)

    def arrive(self, intended: int) -> None:
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed:
                self.busy_count += 1
                conn.intended_ns = intended
                self.send(conn, self.pick())
                return
        if self.busy_count + self.connecting >= self.max_in_flight:
            self.recorder.dropped += 1
            return
        if self.paused_until_ns and self.clock.now_ns() < self.paused_until_ns:
            self.pick().rec.error(self.last_connect_error)
            return
        self.spawn(self._connect_then_send(intended, self.pick()))

    async def _connect_then_send(self, intended: int, request: BoundRequest) -> None:
        self.connecting += 1
        conn = await self.connect(request)
        self.connecting -= 1
        if conn is not None:
            self.connect_failures = self.paused_until_ns = 0
            self.busy_count += 1
            conn.intended_ns = intended
            self.send(conn, request)
        elif not self.stopping:
            self.connect_failures += 1
            pause_ns = int(connect_backoff_s(self.connect_failures) * 1e9)
            self.paused_until_ns = self.clock.now_ns() + pause_ns

    def next_after(self, conn: HttpConnection) -> None:
        self.busy_count -= 1
        if conn.closed:
            self.conns.discard(conn)
        else:
            self.idle.append(conn)

    def after_failure(self, conn: HttpConnection) -> None:
        self.busy_count -= 1

    def after_idle_closed(self, conn: HttpConnection) -> None:
        pass  # popped and skipped lazily in arrive

    def retry(self, conn: HttpConnection) -> None:
        self.busy_count -= 1
        self.spawn(self._connect_then_send(conn.intended_ns, conn.user))  # type: ignore[arg-type]

    def in_flight(self) -> int:
        return self.busy_count

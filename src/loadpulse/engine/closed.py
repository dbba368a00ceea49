"""Closed model: C connections, each sending its next request the moment the previous response ends.

Latency is measured from the send, so it is exposed to coordinated omission: while the target stalls, no
new requests start and the stall is under-represented. Summaries say so; use the open model to avoid it.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.driver import BoundRequest, LoadDriver, PreparedRequest, Timeouts
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import Endpoint, connect_backoff_s
from loadpulse.protocols.http.connection import HttpConnection


class ClosedLoad(LoadDriver):
    def __init__(
        self,
        endpoint: Endpoint,
        requests_mix: Sequence[PreparedRequest],
        recorder: Recorder,
        timeouts: Timeouts,
        connections: int,
        requests: int | None,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        super().__init__(endpoint, requests_mix, recorder, timeouts, clock)
        self.connections = connections
        self.remaining = requests
        self.active = 0

    def begin(self) -> None:
        for _ in range(self.connections):
            self.active += 1
            self.spawn(self._connect_and_send())

    def _take(self) -> bool:
        """Claim one request from the budget; False once the run should send no more."""
        if self.stopping:
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        return True

    def _slot_done(self, conn: HttpConnection | None) -> None:
        if conn is not None:
            self.conns.discard(conn)
            conn.close()
        self.active -= 1
        if self.active <= 0:
            self.finish()

    async def _connect_and_send(self, request: BoundRequest | None = None) -> None:
        # A connect failure is a failed request: it consumes budget, so -n runs end against a dead target.
        # Between failures the slot pauses (10 ms doubling to 1 s): a refused or EMFILE connect can fail
        # without suspending, and a loop of them would starve the event loop (timers, Ctrl-C, the end).
        failures = 0
        while request is not None or self._take():
            if failures:
                await self.clock.sleep(connect_backoff_s(failures))
                if self.stopping:
                    break
            request = request or self.pick()
            conn = await self.connect(request)
            if conn is not None:
                self.send(conn, request)
                return
            request = None
            failures += 1
        self._slot_done(None)

    def next_after(self, conn: HttpConnection) -> None:
        if not self._take():
            self._slot_done(conn)
        elif conn.closed:
            self.conns.discard(conn)
            self.spawn(self._connect_and_send(self.pick()))
        else:
            self.send(conn, self.pick())

    def after_failure(self, conn: HttpConnection) -> None:
        self.spawn(self._connect_and_send())

    def after_idle_closed(self, conn: HttpConnection) -> None:
        # Only happens once a slot stopped sending; its work is already accounted for.
        pass

    def retry(self, conn: HttpConnection) -> None:
        self.spawn(self._connect_and_send(conn.user))  # type: ignore[arg-type]

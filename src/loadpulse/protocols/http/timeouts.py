"""The one request timeout rule, and the sweep that applies it, for every owner of HTTP connections.

A request's total timeout counts from its intended start when it has one (open model: when it should
have been sent, the same origin its latency is measured from, so a request held back by a busy generator
cannot outlive its budget unseen) and from its send otherwise; the read timeout counts from the last byte
received (or the send). Both the load one-liner's drivers and the scripted client use :class:`TimeoutWatch`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from loadpulse.clock import Clock
from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.protocols.http.connection import HttpConnection

_TIMEOUT = ErrorKind.TIMEOUT.value


class TimeoutWatch:
    __slots__ = ("clock", "period_s", "read_ns", "total_ns")

    def __init__(self, read_s: float, total_s: float, clock: Clock) -> None:
        self.read_ns = int(read_s * 1e9)
        self.total_ns = int(total_s * 1e9)
        self.clock = clock
        self.period_s = min(0.1, read_s / 10, total_s / 10)
        """How often in-flight requests are checked: a timeout fires at most this late."""

    def overdue(self, conn: HttpConnection, now_ns: int) -> bool:
        """True when ``conn``'s request in flight has run past a timeout at ``now_ns``."""
        start = conn.intended_ns or conn.sent_ns
        return now_ns - start > self.total_ns or now_ns - conn.last_rx_ns > self.read_ns

    async def sweep(self, in_flight: Callable[[], Iterable[HttpConnection]]) -> None:
        """Fail every overdue request of ``in_flight()`` as a timeout, every period, until cancelled."""
        clock = self.clock
        while True:
            await clock.sleep(self.period_s)
            now = clock.now_ns()
            for conn in list(in_flight()):
                if conn.busy and self.overdue(conn, now):
                    conn.fail(_TIMEOUT)

"""A request waiting for its reply, and how its end is recorded: answered, timed out, or cut short."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.ws.errors import RequestTimeout
from loadpulse.protocols.ws.matching import Incoming, Matcher

if TYPE_CHECKING:
    from loadpulse.protocols.ws.connection import WsConnection


class Pending:
    """One ``ws.request()`` between its send and its reply. Latency counts from the intended start when
    it has one (open model), the service time from the send."""

    __slots__ = ("deadline", "future", "intended", "match", "name", "rec", "sent")

    def __init__(
        self,
        future: asyncio.Future[Any],
        match: Matcher | None,
        rec: NameRecorder,
        sent: int,
        intended: int,
        deadline: int,
        name: str | None,
    ) -> None:
        self.future = future
        self.match = match
        self.rec = rec
        self.sent = sent
        self.intended = intended
        self.deadline = deadline
        """When it times out (perf_counter_ns)."""
        self.name = name
        """The name given to ``request()`` (None: the connection's default)."""

    def answer(self, data: str | bytes, size: int, now: int) -> None:
        """``data`` (``size`` bytes) arrived at ``now`` and is the reply."""
        rec = self.rec
        rec.lat.append((now - (self.intended or self.sent)) // 1000)
        rec.svc.append((now - self.sent) // 1000)
        rec.done += 1
        rec.bytes_in += size
        if not self.future.done():
            self.future.set_result(data)

    def time_out(self, now: int, error: BaseException) -> None:
        """No reply by ``now``: a timeout, kept in the latency record at the moment it was given up on
        (dropping it would hide the very stalls a load test is for)."""
        rec = self.rec
        rec.lat.append((now - (self.intended or self.sent)) // 1000)
        rec.svc.append((now - self.sent) // 1000)
        rec.error(ErrorKind.TIMEOUT.value)
        if not self.future.done():
            self.future.set_exception(error)

    def fail(self, kind: str, error: BaseException) -> None:
        """The connection ended before a reply: a failure of ``kind``, ``error`` raised to the script."""
        self.rec.error(kind)
        if not self.future.done():
            self.future.set_exception(error)


def claim(pending: list[Pending], data: str | bytes, size: int, now: int) -> bool:
    """Whether a waiting request's ``match`` takes ``data`` as its reply (that request is then answered)."""
    incoming = Incoming(data)
    while True:
        entry = None
        try:
            for entry in pending:
                if entry.match is None or entry.match(incoming):
                    pending.remove(entry)
                    entry.answer(data, size, now)
                    return True
            return False
        except Exception as exc:
            # The script's match function raised: its own bug, not the server's. Raised in the request()
            # that gave it, it is a script error at the function's line; the connection carries on.
            assert entry is not None
            pending.remove(entry)
            if not entry.future.done():
                entry.future.set_exception(exc)


def expire(pending: list[Pending], now: int, conn_name: str, conn: WsConnection) -> bool:
    """Fail the requests of ``pending`` whose time is up by ``now``; whether any still wait."""
    for entry in [e for e in pending if e.deadline <= now]:
        pending.remove(entry)
        what = entry.name or f"{conn_name} request"
        entry.time_out(now, RequestTimeout(f"{what}: no reply to request() in time", conn))
    return bool(pending)


def answer_ping(pings: list[tuple[asyncio.Future[float], int, NameRecorder]], now: int) -> None:
    """A pong arrived at ``now``: the oldest ping still waiting gets it, its round trip recorded."""
    while pings:
        future, sent, rec = pings.pop(0)
        if not future.done():  # else timed out: this pong is that ping's, late
            elapsed = now - sent
            rec.lat.append(elapsed // 1000)
            rec.svc.append(elapsed // 1000)
            rec.done += 1
            future.set_result(elapsed / 1e6)
            return


def waiting_pings(pings: list[tuple[asyncio.Future[float], int, NameRecorder]]) -> bool:
    """Whether a ``ping()`` still waits for its pong (a timed-out one stays listed until a pong comes)."""
    return any(not future.done() for future, _, _ in pings)


def cut_pings(
    pings: list[tuple[asyncio.Future[float], int, NameRecorder]], kind: str, error: BaseException
) -> None:
    """The connection ended under ``kind`` with these pings listed: each still waiting is a failed request
    of ``kind`` (as a cut ``request()`` is), ``error`` raised in its ``ping()``."""
    while pings:
        future, _, rec = pings.pop()
        if not future.done():
            rec.error(kind)
            future.set_exception(error)

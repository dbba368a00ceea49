"""A request waiting for its reply, and how its end is recorded: answered, timed out, or cut short."""

from __future__ import annotations

import asyncio
from typing import Any

from loadpulse.metrics.error_kinds import ErrorKind
from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.ws.matching import Matcher


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

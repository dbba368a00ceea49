"""The open-model scheduler both open models use (the one-liner's ``OpenLoad``, the scenarios' ``Arrivals``).

It waits until the next arrival is due (:func:`~loadpulse.profiles.base.pace` says when), hands each due
arrival to the model with its intended start time, timed from the start and never from the previous tick,
and counts as dropped, in one step, every due arrival the model has no room for (k6's dropped_iterations):
a schedule far behind (a stalled loop, an absurd rate) never costs a loop turn per lost arrival.
"""

from __future__ import annotations

from typing import Protocol

from loadpulse.clock import Clock
from loadpulse.profiles.base import ArrivalSchedule, pace


class ArrivalSink(Protocol):
    """The open model the scheduler feeds."""

    stopping: bool

    def room(self) -> int:
        """How many arrivals could start right now (idle or creatable capacity)."""
        ...

    def arrive(self, intended_ns: int) -> None:
        """Start one arrival whose latency counts from ``intended_ns``."""
        ...

    def drop(self, n: int) -> None:
        """Count ``n`` due arrivals that found no room."""
        ...


class ArrivalScheduler:
    def __init__(
        self, schedule: ArrivalSchedule, start_ns: int, clock: Clock, limit: int | None = None
    ) -> None:
        self.schedule = schedule
        self.start_ns = start_ns
        self.clock = clock
        self.limit = limit
        """At most this many arrivals in all (``-n`` with ``--rate``); None: the schedule's own."""
        self.started = 0
        """Arrivals handed out or dropped so far."""

    async def run(self, sink: ArrivalSink) -> None:
        """Feed ``sink`` until the schedule ends or the sink is stopping."""
        schedule, start, clock = self.schedule, self.start_ns, self.clock
        while not sink.stopping:
            now = clock.now_ns()
            n, wait_ns = pace(schedule, now - start, self.started, self.limit)
            if n:
                take = min(n, sink.room())
                for _ in range(take):
                    at = schedule.arrival_ns(self.started)
                    assert at is not None  # pace handed it out
                    self.started += 1
                    sink.arrive(start + at)
                if n > take:
                    sink.drop(n - take)
                    self.started += n - take
            if wait_ns is None:
                return
            await clock.sleep_until(now + wait_ns)

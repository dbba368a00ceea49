"""Constant arrival rate (pure).

Arrival k is due k / rate seconds after the start: always timed from the start, never from the previous
tick, so a late tick makes several arrivals due at once instead of drifting the schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import NS_PER_S, OpenProfile, PositiveSeconds


@dataclass(frozen=True, slots=True)
class SteadyRate:
    """``rate`` arrivals per second from 0 to ``duration_ns`` (None: until stopped), as an
    :class:`~loadpulse.profiles.base.ArrivalSchedule`. The one-liner's ``--rate`` is one of these."""

    rate: float
    duration_ns: int | None = None

    def arrival_ns(self, k: int) -> int | None:
        at = int(k * NS_PER_S / self.rate)
        return at if self.duration_ns is None or at < self.duration_ns else None

    def arrivals_by(self, elapsed_ns: int) -> int:
        due = math.floor(elapsed_ns * self.rate / NS_PER_S) + 1
        if self.duration_ns is not None:
            due = min(due, math.ceil(self.duration_ns * self.rate / NS_PER_S))
        return max(0, due)


class ConstantRate(OpenProfile):
    """constant-rate: RATE iterations start every second for DURATION, whatever the target does."""

    name: ClassVar[str] = "constant-rate"
    summary: ClassVar[str] = "RATE iterations/s start on schedule for DURATION (open model)"

    rate: Annotated[float, Field(gt=0)] = 10.0
    duration: PositiveSeconds = 30.0

    @property
    def planned_s(self) -> float:
        return self.duration

    def own_schedule(self) -> SteadyRate:
        return SteadyRate(self.rate, round(self.duration * NS_PER_S))

    def rate_at(self, t_s: float) -> float:
        return self.rate if 0 <= t_s < self.duration else 0.0

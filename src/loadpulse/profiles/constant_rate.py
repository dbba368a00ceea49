"""Constant arrival rate pacing (pure).

Arrival i is due at i / rate seconds after the start: always timed from the start, never from the previous
tick, so a late tick makes several arrivals due at once instead of drifting the schedule.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import OpenProfile, PositiveSeconds

NS_PER_S = 1_000_000_000


def intended_ns(i: int, rate_per_s: float) -> int:
    """Offset of arrival ``i`` (0-based) from the run start, in nanoseconds."""
    return int(i * NS_PER_S / rate_per_s)


def due(elapsed_ns: int, started: int, rate_per_s: float, limit: int | None = None) -> tuple[int, int]:
    """(arrivals due now, ns to wait until the next one) after ``started`` arrivals.

    ``limit`` caps the total number of arrivals; once reached the wait is -1 (nothing more will come).
    """
    if elapsed_ns < 0:
        return 0, -elapsed_ns
    total_due = int(elapsed_ns * rate_per_s / NS_PER_S) + 1
    if limit is not None:
        total_due = min(total_due, limit)
    n = max(0, total_due - started)
    after = started + n
    if limit is not None and after >= limit:
        return n, -1
    return n, max(0, intended_ns(after, rate_per_s) - elapsed_ns)


class ConstantRate(OpenProfile):
    """constant-rate: RATE iterations start every second for DURATION, whatever the target does."""

    name: ClassVar[str] = "constant-rate"
    summary: ClassVar[str] = "RATE iterations/s start on schedule for DURATION (open model)"

    rate: Annotated[float, Field(gt=0)] = 10.0
    duration: PositiveSeconds = 30.0

    @property
    def planned_s(self) -> float:
        return self.duration

    def arrival_s(self, k: int) -> float | None:
        at = k / self.rate
        return at if at < self.duration else None

    def rate_at(self, t_s: float) -> float:
        return self.rate if 0 <= t_s < self.duration else 0.0

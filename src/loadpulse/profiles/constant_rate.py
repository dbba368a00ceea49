"""Constant arrival rate pacing (pure).

Arrival i is due at i / rate seconds after the start: always timed from the start, never from the previous
tick, so a late tick makes several arrivals due at once instead of drifting the schedule.
"""

from __future__ import annotations

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

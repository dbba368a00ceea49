"""Turning a sink's persist time (``at``) into the run's monotonic nanoseconds.

Sinks report when an item was stored as wall-clock time: epoch seconds, a ``datetime``, or ISO text (SQLite
returns timestamps as text). The run measures on the monotonic clock. A :class:`ClockAnchor` is one pair of
readings taken together at the run's start; a wall time maps to ``mono_ns + (wall - wall_s)``. Naive
datetimes are taken as UTC (SQLite's ``CURRENT_TIMESTAMP`` is UTC); a database writing local times naively
should store them with a zone. Pure: the caller takes both readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from loadpulse.pipeline.tracking import check_ns

At = float | int | datetime | str
"""What a sink may give as ``at``."""


def epoch_seconds(at: object) -> float:
    """``at`` as epoch seconds; ValueError naming what is wrong with it."""
    if isinstance(at, bool):
        raise ValueError("a persist time ('at') must be epoch seconds, a datetime or ISO text, not bool")
    if isinstance(at, int | float | np.integer | np.floating):
        seconds = float(at)
    elif isinstance(at, datetime):
        seconds = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
    elif isinstance(at, str):
        try:
            parsed = datetime.fromisoformat(at.strip())
        except ValueError:
            raise ValueError(f"a persist time ('at') in text must be ISO 8601, not {at[:40]!r}") from None
        seconds = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    else:
        raise ValueError(
            f"a persist time ('at') must be epoch seconds, a datetime or ISO text, not {type(at).__name__}"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a persist time ('at') must be a finite time after 1970, not {seconds}")
    return seconds


@dataclass(frozen=True, slots=True)
class ClockAnchor:
    """The monotonic clock (``mono_ns``) and the wall clock (``wall_s``, epoch seconds) read together."""

    mono_ns: int
    wall_s: float

    def __post_init__(self) -> None:
        check_ns("an anchor's mono_ns", self.mono_ns)
        epoch_seconds(self.wall_s)

    def to_mono_ns(self, at: At) -> int:
        """The monotonic time of wall-clock time ``at`` (may be negative: before the monotonic origin)."""
        return self.mono_ns + round((epoch_seconds(at) - self.wall_s) * 1e9)

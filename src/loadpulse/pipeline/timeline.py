"""The pipeline check over time: sent, delivered and backlog at every poll of the sinks.

Points are on the run's time axis (seconds from the load start, the origin of the per-interval series),
so a report draws them beside the request charts. The builder keeps one column per measure and appends
at each cut: a result copies the columns (pointers to immutable numbers, no per-point work), which keeps
taking a result every interval cheap however long the run. Pure: times come from the caller, in ns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class IntervalCount:
    """Deliveries in one interval, and the backlog (sent and not yet arrived) at its end."""

    t_ns: int
    delivered: int
    sent_total: int
    delivered_total: int

    @property
    def backlog(self) -> int:
        return max(0, self.sent_total - self.delivered_total)


@dataclass(frozen=True, slots=True)
class TimelineColumns:
    """One entry per poll, oldest first (Summary JSON ``pipeline.timeline``)."""

    t_s: tuple[float, ...] = ()
    delivered: tuple[int, ...] = ()
    """Arrivals since the previous poll."""
    sent: tuple[int, ...] = ()
    """Items sent so far (cumulative)."""
    delivered_total: tuple[int, ...] = ()
    backlog: tuple[int, ...] = ()
    """Sent and not arrived yet."""
    longest_gap_s: float | None = None
    """The longest time between two polls: how late an arrival timed to the poll that saw it can be."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "t_s": list(self.t_s),
            "delivered": list(self.delivered),
            "sent": list(self.sent),
            "delivered_total": list(self.delivered_total),
            "backlog": list(self.backlog),
        }


class Timeline:
    """Grows by one point per :meth:`add`; :meth:`columns` is the record so far."""

    __slots__ = (
        "_backlog",
        "_delivered",
        "_delivered_total",
        "_gap_ns",
        "_last_ns",
        "_sent",
        "_t_s",
        "origin_ns",
    )

    def __init__(self) -> None:
        self.origin_ns: int | None = None
        """The load's start; until it is known, the first point's time."""
        self._t_s: list[float] = []
        self._delivered: list[int] = []
        self._sent: list[int] = []
        self._delivered_total: list[int] = []
        self._backlog: list[int] = []
        self._last_ns: int | None = None
        self._gap_ns: int | None = None

    def start(self, origin_ns: int) -> None:
        """Time points from ``origin_ns`` (the load start); points already taken keep their times."""
        if not self._t_s:
            self.origin_ns = origin_ns

    def add(self, point: IntervalCount) -> None:
        if self.origin_ns is None:
            self.origin_ns = point.t_ns
        if self._last_ns is not None:
            gap = point.t_ns - self._last_ns
            self._gap_ns = gap if self._gap_ns is None else max(self._gap_ns, gap)
        self._last_ns = point.t_ns
        self._t_s.append(round(max(0, point.t_ns - self.origin_ns) / 1e9, 3))
        self._delivered.append(point.delivered)
        self._sent.append(point.sent_total)
        self._delivered_total.append(point.delivered_total)
        self._backlog.append(point.backlog)

    def seconds(self, t_ns: int | None) -> float | None:
        """``t_ns`` on the timeline's axis; None when either is unknown."""
        if t_ns is None or self.origin_ns is None:
            return None
        return round(max(0, t_ns - self.origin_ns) / 1e9, 3)

    def columns(self) -> TimelineColumns:
        return TimelineColumns(
            tuple(self._t_s),
            tuple(self._delivered),
            tuple(self._sent),
            tuple(self._delivered_total),
            tuple(self._backlog),
            None if self._gap_ns is None else round(self._gap_ns / 1e9, 3),
        )

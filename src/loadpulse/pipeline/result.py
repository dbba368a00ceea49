"""The verdict of one pipeline check: what was sent against what arrived, as one immutable record.

:meth:`PipelineResult.to_dict` is the Summary JSON ``pipeline`` object (DESIGN.md). Fields a threshold
addresses are objects (``lost.count``, ``lost.rate``, ``duplicates.count``, ``stuck.count``); ``e2e_ms``
values are None when nothing arrived, ``drain_s`` when the load has not ended, ``fairness_pct`` when no
sink row named a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.histogram import Histogram

E2E_PERCENTILES = (50.0, 90.0, 95.0, 99.0)


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
class PipelineResult:
    sent: int
    """Items accepted by the system (and rejected ones too when the settings count them)."""
    delivered: int
    """Sent items that arrived (in a final status, when the sink reports statuses)."""
    lost: int
    """Sent items never seen. Zero while the sink is failing: those are :attr:`unverified`."""
    rejected: int
    in_progress: int
    """Sent items seen only in a non-final status; :attr:`stuck` are the ones unchanged too long."""
    unverified: int
    """Sent items not seen while the sink could not be read: neither delivered nor lost."""
    duplicates: int
    unexpected: int
    out_of_order: int
    stuck: int
    e2e: Histogram
    """Send to persist (``at``) or to first seen, in µs."""
    e2e_from_at: int
    """How many of :attr:`e2e` are to a persist time; the rest are to the poll that first saw the item."""
    drain_s: float | None
    drained: bool
    """Every sent item arrived: ``drain_s`` is then load end to the last arrival, else the time waited."""
    by_worker: dict[str, int]
    fairness_pct: float | None
    lost_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]
    unexpected_ids: tuple[str, ...]
    stuck_ids: tuple[str, ...]
    intervals: tuple[IntervalCount, ...] = field(default=())

    @property
    def loss_rate(self) -> float:
        return self.lost / self.sent if self.sent else 0.0

    def e2e_ms(self) -> dict[str, float | None]:
        if self.e2e.total == 0:
            return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None}
        p50, p90, p95, p99 = (v / 1000.0 for v in self.e2e.percentiles(E2E_PERCENTILES))
        return {"p50": p50, "p90": p90, "p95": p95, "p99": p99, "max": self.e2e.max_us / 1000.0}

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "lost": {"count": self.lost, "rate": self.loss_rate},
            "duplicates": {"count": self.duplicates, "ids": list(self.duplicate_ids)},
            "unexpected": {"count": self.unexpected, "ids": list(self.unexpected_ids)},
            "rejected": self.rejected,
            "e2e_ms": self.e2e_ms(),
            "drain_s": self.drain_s,
            "by_worker": dict(self.by_worker),
            "fairness_pct": self.fairness_pct,
            "stuck": {"count": self.stuck, "ids": list(self.stuck_ids)},
            "lost_ids": list(self.lost_ids),
            "in_progress": self.in_progress,
            "unverified": self.unverified,
            "out_of_order": self.out_of_order,
            "drained": self.drained,
            "e2e_basis": {"persist_time": self.e2e_from_at, "first_seen": self.e2e.total - self.e2e_from_at},
        }

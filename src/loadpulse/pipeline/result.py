"""The verdict of one pipeline check: what was sent against what arrived, as one immutable record.

:meth:`PipelineResult.to_dict` is the Summary JSON ``pipeline`` object (DESIGN.md). Fields a threshold
addresses are objects (``lost.count``, ``lost.rate``, ``duplicates.count``, ``stuck.count``); ``e2e_ms``
values are None when nothing arrived, ``drain_s`` when the load has not ended, ``fairness_pct`` when no
sink row named a worker. ``timeline`` and ``e2e_distribution`` are what a report charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.histogram import Histogram
from loadpulse.pipeline.timeline import IntervalCount, TimelineColumns

E2E_PERCENTILES = (50.0, 90.0, 95.0, 99.0)
E2E_DISTRIBUTION = (
    0.0, 10.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 90.0, 95.0, 97.5, 99.0, 99.5, 99.9,
    99.95, 99.99, 100.0,
)  # fmt: skip
"""Percentiles of ``e2e_distribution``, dense in the tail where trouble shows; 100 is the max."""

__all__ = ["E2E_DISTRIBUTION", "E2E_PERCENTILES", "IntervalCount", "PipelineResult"]


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
    failed: int = 0
    """Sent items that arrived in a failed final status (``failed``, ``error``...): not delivered."""
    failed_ids: tuple[str, ...] = ()
    timeline: TimelineColumns = field(default=TimelineColumns())
    load_end_s: float | None = None
    """When the load ended, on the timeline's axis (seconds from the load start); None while it runs."""
    workers_expected: int | None = None
    """Workers the settings say there are (idle ones never show in :attr:`by_worker`)."""

    @property
    def loss_rate(self) -> float:
        return self.lost / self.sent if self.sent else 0.0

    def e2e_ms(self) -> dict[str, float | None]:
        if self.e2e.total == 0:
            return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None}
        p50, p90, p95, p99 = (v / 1000.0 for v in self.e2e.percentiles(E2E_PERCENTILES))
        return {"p50": p50, "p90": p90, "p95": p95, "p99": p99, "max": self.e2e.max_us / 1000.0}

    def e2e_distribution(self) -> list[list[float]]:
        """``[percentile, ms]`` pairs at :data:`E2E_DISTRIBUTION`; empty when nothing arrived."""
        if self.e2e.total == 0:
            return []
        values = self.e2e.percentiles(E2E_DISTRIBUTION)
        return [[q, round(v / 1000.0, 3)] for q, v in zip(E2E_DISTRIBUTION, values, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "lost": {"count": self.lost, "rate": self.loss_rate},
            "duplicates": {"count": self.duplicates, "ids": list(self.duplicate_ids)},
            "unexpected": {"count": self.unexpected, "ids": list(self.unexpected_ids)},
            "rejected": self.rejected,
            "failed": {"count": self.failed, "ids": list(self.failed_ids)},
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
            "e2e_resolution_s": self.timeline.longest_gap_s,
            "e2e_distribution": self.e2e_distribution(),
            "workers_expected": self.workers_expected,
            "load_end_s": self.load_end_s,
            "timeline": self.timeline.to_dict(),
        }

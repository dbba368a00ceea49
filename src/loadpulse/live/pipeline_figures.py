"""The pipeline check's figures as the live outputs show them (progress line, dashboard, Prometheus).

Read from ``Aggregate.pipeline`` (``PipelineResult.to_dict()``, refreshed every interval), so the live
outputs depend on its documented keys only, never on the reconciler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

E2E_KEYS = ("p50", "p90", "p95", "p99", "max")


@dataclass(frozen=True, slots=True)
class PipelineFigures:
    sent: int
    delivered: int
    lost: int
    duplicates: int
    stuck: int
    e2e_ms: dict[str, float | None]
    after_load: bool
    """The load is over (the drain started): lost is final only from here; during the load an item not
    seen yet is on its way (the backlog), and the check reports it as not lost."""
    drained: bool
    drain_s: float | None
    """Load end to the last arrival (drained), or how long the check waited (not drained)."""

    @property
    def backlog(self) -> int:
        """Sent and not arrived yet: items on their way during the load, missing ones after it."""
        return max(0, self.sent - self.delivered)

    @property
    def pending(self) -> int:
        """The backlog less what is lost: all of it during the load; after it, the items neither arrived nor
        lost (in progress, unverified). Shown next to ``lost``, the backlog would count those twice."""
        return max(0, self.backlog - self.lost) if self.after_load else self.backlog

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "backlog": self.backlog,
            "pending": self.pending,
            "lost": self.lost,
            "duplicates": self.duplicates,
            "stuck": self.stuck,
            "e2e_p95_ms": self.e2e_ms.get("p95"),
            "after_load": self.after_load,
            "drained": self.drained,
            "drain_s": self.drain_s,
        }


def _count(d: Mapping[str, Any], key: str) -> int:
    value = d.get(key)
    if isinstance(value, Mapping):
        value = value.get("count")
    return int(value) if isinstance(value, int | float) else 0


def pipeline_figures(pipeline: Mapping[str, Any] | None) -> PipelineFigures | None:
    """The figures of ``Aggregate.pipeline``; None for a run without sinks (or before the first poll)."""
    if not pipeline:
        return None
    e2e = pipeline.get("e2e_ms") or {}
    drain = pipeline.get("drain_s")
    return PipelineFigures(
        sent=_count(pipeline, "sent"),
        delivered=_count(pipeline, "delivered"),
        lost=_count(pipeline, "lost"),
        duplicates=_count(pipeline, "duplicates"),
        stuck=_count(pipeline, "stuck"),
        e2e_ms={k: (float(e2e[k]) if isinstance(e2e.get(k), int | float) else None) for k in E2E_KEYS},
        after_load=drain is not None,
        drained=bool(pipeline.get("drained")),
        drain_s=float(drain) if isinstance(drain, int | float) else None,
    )

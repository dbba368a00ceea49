"""Pipeline verification, the pure core: what a run sent, what sinks saw arrive, and the verdict between.

No I/O, no clocks: sinks, the engine and outputs hand times and observations in (DESIGN.md, pure cores).
"""

from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.groups import GroupCounts, imbalance_pct
from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.result import IntervalCount, PipelineResult
from loadpulse.pipeline.tracking import Tracker

__all__ = [
    "ClockAnchor",
    "GroupCounts",
    "IntervalCount",
    "Observation",
    "PipelineResult",
    "ReconcileSettings",
    "Reconciler",
    "Tracker",
    "imbalance_pct",
]

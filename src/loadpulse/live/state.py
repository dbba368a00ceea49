"""What the Prometheus endpoint renders at scrape time, updated on every interval of the run.

The dashboard keeps its own, richer state (:class:`loadpulse.live.dashboard.DashboardState`).
"""

from __future__ import annotations

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.verdict import ThresholdResult


class LiveState:
    def __init__(self) -> None:
        self.aggregate = Aggregate()
        self.in_flight = 0
        self.verdicts: list[ThresholdResult] = []
        """The thresholds evaluated on the aggregate so far."""

"""What the live outputs (Prometheus endpoint, dashboard) read: updated by the run on every snapshot."""

from __future__ import annotations

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.verdict import ThresholdResult


class LiveState:
    """What the exporter (and the dashboard) read: updated by the run on every snapshot."""

    def __init__(self) -> None:
        self.aggregate = Aggregate()
        self.in_flight = 0
        self.thresholds: list[ThresholdResult] = []
        self.status = "starting"
        self.run_id = ""

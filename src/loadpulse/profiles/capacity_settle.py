"""When a capacity step has measured enough (pure): its latency settled, or it climbs past an objective
(docs/capacity.md, "When a step has measured enough")."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SettleRule:
    """When a step has measured enough: its latency has settled, or it is climbing past an objective.

    Both are judged on the last ``window`` full intervals, never the first one (connections and caches
    warm up in it), and only once ``min_hold_s`` have passed:

    - **settled**: the window's p95s lie within ``tolerance`` of their median (or within ``floor_ms``,
      for latencies so small that their jitter means nothing against the objectives);
    - **diverged**: an objective fails on the step so far and the window's p95 only grows, by more than
      ``tolerance`` in all: a queue building up, which waiting longer would only confirm.

    Otherwise the step holds until its duration (``--step-duration``) is up.
    """

    min_hold_s: float = 3.0
    window: int = 3
    tolerance: float = 0.15
    floor_ms: float = 2.0

    def state(self, p95s: Sequence[float], elapsed_s: float, failing: bool) -> str | None:
        """'settled', 'diverged', or None (hold on). ``p95s``: every full interval's p95 so far (ms)."""
        if elapsed_s < self.min_hold_s or len(p95s) < self.window + 1:
            return None
        window = list(p95s[-self.window :])
        if any(math.isnan(v) for v in window):
            return None
        middle = statistics.median(window)
        spread = max(window) - min(window)
        climbing = all(b >= a for a, b in itertools.pairwise(window))
        if failing and climbing and window[-1] > window[0] * (1 + self.tolerance) + self.floor_ms / 10:
            return "diverged"
        if spread <= max(self.tolerance * middle, self.floor_ms):
            return "settled"
        return None

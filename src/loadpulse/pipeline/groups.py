"""Counts per group (worker, channel, partition) and how evenly they are spread.

The imbalance of a split is the largest deviation of one group from the even share, in percent of that
share: ``{a: 100, b: 100}`` is 0 %, ``{a: 120, b: 80}`` is 20 %, one group doing nothing of four is 100 %.
That is the figure a guide means by "workers share load evenly (±20 %)", and what a threshold such as
``pipeline.fairness < 20%`` or ``probe.per_channel.imbalance < 20%`` compares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from loadpulse.metrics.cardinality import OTHER


class Spread:
    """Running count, total, least and largest of non-negative group values: all that
    :func:`imbalance_pct` needs, so a probe can stream a million groups without keeping them."""

    __slots__ = ("high", "low", "n", "total")

    def __init__(self) -> None:
        self.n = 0
        self.total = 0.0
        self.low = math.inf
        self.high = 0.0

    def add(self, value: float) -> None:
        if not value >= 0 or math.isinf(value):  # NaN fails >= too
            raise ValueError(f"a group value must be a finite number >= 0, not {value!r}")
        self.n += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)

    def merge(self, other: Spread) -> None:
        self.n += other.n
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)

    def imbalance_pct(self, groups: int | None = None) -> float | None:
        """Largest deviation from the even share in %; None with nothing counted. ``groups``: how many
        groups there should be; those never added count as zeros."""
        if groups is not None and groups < 1:
            raise ValueError(f"the number of groups must be at least 1, not {groups}")
        n = max(self.n, groups or 0)
        if self.n == 0 or not math.isfinite(self.total):
            return None  # nothing seen, or values too large to add up (a sum past 1e308)
        if self.total == 0:
            return 0.0  # every group at zero: as even as it gets
        mean = self.total / n
        low = 0.0 if n > self.n else self.low
        return max(self.high - mean, mean - low) / mean * 100.0


def imbalance_pct(counts: Mapping[str, int], groups: int | None = None) -> float | None:
    """Largest deviation from the even share in %, None with nothing counted.

    ``groups``: how many groups there should be (workers started), so groups that did nothing and so never
    appear in ``counts`` weigh in as zeros. With the :data:`~loadpulse.metrics.cardinality.OTHER`
    catch-all present (more names than the cap kept apart) the spread is not known: None, never the
    spread of the first thousand (which would read as a fair split of a bogus column).
    """
    if OTHER in counts:
        return None
    spread = Spread()
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"group {name!r}: a count must be a non-negative int, not {value!r}")
        if name != OTHER:
            spread.add(value)
    return spread.imbalance_pct(groups)


class GroupCounts:
    """Counts per group name, at most ``cap`` names kept apart (the rest under OTHER)."""

    __slots__ = ("cap", "counts")

    def __init__(self, cap: int = 1000) -> None:
        if cap < 1:
            raise ValueError(f"a group cap must be at least 1, not {cap}")
        self.cap = cap
        self.counts: dict[str, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        if name not in self.counts and len(self.counts) >= self.cap:
            name = OTHER
        self.counts[name] = self.counts.get(name, 0) + n

    def imbalance_pct(self, groups: int | None = None) -> float | None:
        return imbalance_pct(self.counts, groups)

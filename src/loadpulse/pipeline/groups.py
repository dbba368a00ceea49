"""Counts per group (worker, channel, partition) and how evenly they are spread.

The imbalance of a split is the largest deviation of one group from the even share, in percent of that
share: ``{a: 100, b: 100}`` is 0 %, ``{a: 120, b: 80}`` is 20 %, one group doing nothing of four is 100 %.
That is the figure a guide means by "workers share load evenly (±20 %)", and what a threshold such as
``pipeline.fairness < 20%`` or ``probe.per_channel.imbalance < 20%`` compares.
"""

from __future__ import annotations

from collections.abc import Mapping

from loadpulse.metrics.cardinality import OTHER


def imbalance_pct(counts: Mapping[str, int], groups: int | None = None) -> float | None:
    """Largest deviation from the even share in %, None with nothing counted.

    ``groups``: how many groups there should be (workers started), so groups that did nothing and so never
    appear in ``counts`` weigh in as zeros. The :data:`~loadpulse.metrics.cardinality.OTHER` catch-all is
    not a group and is left out.
    """
    values = []
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"group {name!r}: a count must be a non-negative int, not {value!r}")
        if name != OTHER:
            values.append(value)
    if groups is not None and groups < 1:
        raise ValueError(f"the number of groups must be at least 1, not {groups}")
    n = max(len(values), groups or 0)
    total = sum(values)
    if n == 0 or total == 0:
        return None
    mean = total / n
    deviation = max(abs(v - mean) for v in values)
    if n > len(values):
        deviation = max(deviation, mean)  # a group missing from counts did nothing
    return deviation / mean * 100.0


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

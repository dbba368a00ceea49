"""A probe reading that is a value per group (``SELECT channel_id, count(*) … GROUP BY channel_id``, a Redis
``HGETALL``): the series it gives each sample and the per-group values kept for the summary.

Series, for a probe called NAME: ``NAME`` is the total over every group, ``NAME.groups`` how many groups
there were and ``NAME.imbalance`` the largest deviation of one group from the even share, in percent
(:func:`loadpulse.pipeline.groups.imbalance_pct`'s figure: 10/10/10/30 is 100 %). The imbalance is left out
(a gap) with no group, a total of 0, or a negative or infinite value, where an even share means nothing.

At most :data:`GROUP_CAP` groups are kept by name; past it the rest still count in the three series (they
are counted as they are read, never kept), and the probe says once that its per-group values were cut.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from loadpulse.pipeline.groups import Spread

GROUP_CAP = 1000
"""Groups kept by name per probe: the Summary JSON's ``by_group`` stays bounded whatever the query returns."""
GROUP_NAME_CHARS = 100


def group_name(key: Any) -> str:
    """A group key as text: bytes decoded, NULL as 'null', cut to GROUP_NAME_CHARS."""
    if key is None:
        return "null"
    if isinstance(key, bytes | bytearray):
        key = bytes(key).decode("utf-8", "replace")
    text = " ".join(str(key).split())
    return text if len(text) <= GROUP_NAME_CHARS else text[: GROUP_NAME_CHARS - 1] + "…"


def group_series(name: str) -> tuple[str, str, str]:
    """The series a group probe called ``name`` gives."""
    return (name, f"{name}.groups", f"{name}.imbalance")


def _shares(value: float) -> bool:
    """Whether ``value`` can be a share of a total (finite, not negative)."""
    return 0 <= value < math.inf


class GroupReading:
    """One sample's groups, added one row at a time; ``cap``: groups kept by name."""

    __slots__ = ("_negative", "_overflow", "_overflow_total", "cap", "dropped", "kept", "name")

    def __init__(self, name: str, cap: int = GROUP_CAP) -> None:
        self.name = name
        self.cap = cap
        self.kept: dict[str, float] = {}
        self.dropped = 0
        """Groups past the cap: counted in the series, not kept by name."""
        self._overflow = Spread()
        self._overflow_total = 0.0
        self._negative = False

    def add(self, key: Any, value: float) -> None:
        group = group_name(key)
        if group in self.kept:  # one row per group is a GROUP BY's promise; a repeat is added up
            self.kept[group] += value
        elif len(self.kept) < self.cap:
            self.kept[group] = value
        else:
            self.dropped += 1
            self._overflow_total += value
            if _shares(value):
                self._overflow.add(value)
            else:
                self._negative = True

    def add_all(self, rows: Iterable[tuple[Any, float]]) -> GroupReading:
        for key, value in rows:
            self.add(key, value)
        return self

    def series(self) -> dict[str, float]:
        spread = Spread()
        negative = self._negative
        for value in self.kept.values():
            if _shares(value):
                spread.add(value)
            else:
                negative = True
        spread.merge(self._overflow)
        total = sum(self.kept.values()) + self._overflow_total
        out = {self.name: total, f"{self.name}.groups": float(len(self.kept) + self.dropped)}
        pct = None if negative else spread.imbalance_pct()
        if pct is not None:
            out[f"{self.name}.imbalance"] = pct
        return out

    @property
    def note(self) -> str | None:
        """The one-line warning for a reading cut at the cap, else None."""
        if not self.dropped:
            return None
        return (
            f"probe {self.name!r} returned {len(self.kept) + self.dropped:,} groups; the first "
            f"{self.cap:,} are kept by name in the summary (the total, the group count and the imbalance "
            "count them all)"
        )

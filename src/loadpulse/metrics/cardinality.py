"""Caps on how many distinct names a run keeps apart, so memory follows settings, not the target's URLs.

A scenario that requests ``f"/item/{i}"`` without ``name=`` would otherwise get one stats entry per URL.
The first ``cap`` distinct names of a family (request names, tag values, check and metric names) are kept;
every later one is counted under :data:`OTHER`, and an :class:`Overflow` travels in each Snapshot so the
coordinator can warn once, with examples, however many processes grouped names (k6 caps its metric series
the same way: ``internal/metrics/engine/ingester.go``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OTHER = "(other)"
"""Where names past a cap are counted. Parenthesised because a request name is ``METHOD /path`` or a
user's label: ``other`` could be a real name, ``(other)`` reads as the catch-all it is (like ``(none)``)."""

MAX_NAMES = 1000
"""Request names kept apart per process. A real scenario names tens of endpoints, an API a few hundred; a
thousand leaves room for both while bounding the per-interval stats (about 0.7 KB each when idle, a few
KB with traffic) to a few MB."""

MAX_NAMES_LIMIT = 100_000
"""The most ``--max-names`` may ask for: each kept name costs a few KB per interval with traffic, so this
is the most one process can hold apart without its memory depending on the run's URLs again."""

MAX_TAGS = 1000
"""``key=value`` tag entries kept apart per process: the same reasoning as :data:`MAX_NAMES`."""

MAX_CUSTOM = 200
"""Check names and custom metric names kept apart per process. Scripts declare these by hand, so a few
dozen is typical; two hundred only trips when names are built from data (``ctx.check(f"id {i}", …)``)."""

MAX_EXAMPLES = 5
"""Grouped names shipped as examples: enough to suggest a ``name=`` template, small enough per Snapshot."""

TRACK_LIMIT = 100_000
"""Distinct grouped names remembered to count them exactly; past it the count says 'at least'. They are
remembered by a 64-bit digest, not by text, so this costs a few MB whatever the names' length (a 10 KB
URL costs 8 bytes, not 10 KB)."""

MAX_EXAMPLE_CHARS = 200
"""An example name is cut to this: it is shown to a person, and must not carry a 10 KB URL around."""


@dataclass(frozen=True, slots=True)
class KeptNames:
    """Names that always get their own entry, cap or not: those a threshold or a declaration points at
    (see ``thresholds/named.py``). As few as the thresholds, so the bound still follows the settings."""

    names: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    """``key=value``"""
    checks: frozenset[str] = frozenset()
    metrics: frozenset[str] = frozenset()


KEEP_NOTHING = KeptNames()


@dataclass(slots=True)
class Overflow:
    """What one family of names lost to :data:`OTHER` so far in a run (cumulative, not per interval)."""

    distinct: int = 0
    """Distinct names seen, the kept ones included. Across processes the largest count is kept: the
    same URLs are usually seen by every process, so adding would overstate (the count is a lower bound)."""
    cap: int = 0
    examples: list[str] = field(default_factory=list)
    """Up to :data:`MAX_EXAMPLES` grouped names, first seen first."""
    saturated: bool = False
    """More distinct names than :data:`TRACK_LIMIT`: ``distinct`` stopped counting."""

    def merge(self, other: Overflow) -> None:
        self.distinct = max(self.distinct, other.distinct)
        self.cap = max(self.cap, other.cap)
        self.saturated = self.saturated or other.saturated
        for name in other.examples:
            if len(self.examples) >= MAX_EXAMPLES:
                break
            if name not in self.examples:
                self.examples.append(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "distinct": self.distinct,
            "cap": self.cap,
            "examples": list(self.examples),
            "saturated": self.saturated,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Overflow:
        return cls(
            distinct=int(d["distinct"]),
            cap=int(d["cap"]),
            examples=[str(e) for e in d.get("examples", [])][:MAX_EXAMPLES],
            saturated=bool(d.get("saturated", False)),
        )


class Cap:
    """Admits the first ``cap`` distinct names of a family and counts the rest (called once per new name,
    never per request: callers cache what they were given)."""

    __slots__ = ("_grouped", "cap", "examples", "keep")

    def __init__(self, cap: int, keep: frozenset[str] = frozenset()) -> None:
        if cap < 1:
            raise ValueError(f"a cardinality cap must be at least 1, not {cap}")
        self.cap = cap
        self.keep = keep
        """Names never grouped (see :class:`KeptNames`)."""
        self._grouped: set[int] = set()
        self.examples: list[str] = []

    def full(self, kept: int, name: str | None = None) -> bool:
        """Whether a family already holding ``kept`` distinct names must group ``name``, a new one."""
        return kept >= self.cap and name not in self.keep

    def group(self, name: str) -> None:
        """Note that ``name`` was counted under :data:`OTHER`."""
        digest = hash(name)
        if digest in self._grouped or len(self._grouped) >= TRACK_LIMIT:
            return
        self._grouped.add(digest)
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(name[:MAX_EXAMPLE_CHARS])

    def overflow(self, kept: int) -> Overflow | None:
        """The family's Overflow when it has grouped anything (``kept`` names kept apart), else None."""
        if not self._grouped:
            return None
        saturated = len(self._grouped) >= TRACK_LIMIT
        return Overflow(kept + len(self._grouped), self.cap, list(self.examples), saturated)

"""Which task (or request) comes next in a weighted mix: exact at any ratio, deterministic, smooth (pure).

The picks follow Tijdeman's "chairman assignment" rule: after any ``n`` picks, each index ``i`` has been
picked within 1 of ``n * w[i] / sum(w)`` times (strictly: at most ``1 - 1/(2k-2)`` off for ``k`` indexes),
from the first pick on. Nginx's smooth weighted round-robin is simpler but drifts past 1 with many
weights (e.g. 1.4 picks for ``[3, 1000, 1, 5, 1, 5, 100, 1000]``); a fixed 1,000-slot table never ran a
task lighter than 1/1000 at all (issue 10, item 11).

Integer weights ``w`` repeat their sequence every ``sum(w)`` picks, so a small mix is precomputed once and
read as a table (one index increment per pick on the one-liner's hot path). A mix whose cycle would be
large is a :class:`MixSequence` that computes each pick on demand in O(number of weights) instead of
holding the table: the callers read the cycle in order, which is the fast path.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import overload

TABLE_BUDGET = 1 << 16
"""Largest (cycle length * weight count) precomputed as a table (at most ~40 ms once, 64 KiB)."""
_MAX_DENOMINATOR = 1_000_000
"""Float weights are read as fractions with denominators up to this (0.1 is 1/10, not 2**-55 off)."""
_MAX_CYCLE = 1 << 62
"""A cycle must fit ``len()``; weights whose exact cycle is longer are rounded to this total."""


def integer_weights(weights: Sequence[float]) -> list[int]:
    """The smallest integers in the same ratios as ``weights`` (zeros stay zero, never-picked).

    ValueError when a weight is negative or not finite, or when every weight is zero.
    """
    for w in weights:
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"weight {w!r} must be a finite number >= 0")
    if not any(w > 0 for w in weights):
        raise ValueError("at least one weight must be above zero")
    fracs = [_fraction(w) for w in weights]
    scale = math.lcm(*(f.denominator for f in fracs))
    ints = [int(f * scale) for f in fracs]
    g = math.gcd(*ints)
    ints = [n // g for n in ints]
    total = sum(ints)
    if total > _MAX_CYCLE:
        # Rounded to a 2**62 cycle: off by at most 2**-62 of a share, but every positive weight stays in.
        ints = [max(1, round(n * _MAX_CYCLE / total)) if n else 0 for n in ints]
    return ints


def _fraction(w: float) -> Fraction:
    if not w:
        return Fraction(0)
    near = Fraction(w).limit_denominator(_MAX_DENOMINATOR)
    return near or Fraction(w)  # a positive weight below 1/_MAX_DENOMINATOR must not become "never"


class _Picker:
    """Tijdeman's rule on integer weights: of the indexes not ahead of schedule, the one due soonest."""

    __slots__ = ("_c", "_counts", "_k2", "_t", "_total", "_weights")

    def __init__(self, weights: Sequence[int]) -> None:
        self._weights = list(weights)
        self._total = sum(weights)
        k = sum(1 for w in weights if w)
        # With C = 1 - 1/(2k-2), everything below is scaled by 2k-2 to stay in integers (k >= 2).
        self._k2 = max(2 * k - 2, 1)
        self._c = self._k2 - 1  # C * (2k-2)
        self._counts = [0] * len(weights)
        self._t = 0

    def next(self) -> int:
        self._t += 1
        t, total, k2, c = self._t, self._total, self._k2, self._c
        best = -1
        best_num = best_w = 0
        for i, w in enumerate(self._weights):
            if not w:
                continue
            x = self._counts[i]
            # eligible: t*w/W - x >= 1 - C  (not ahead of its share by more than C)
            if k2 * (t * w - x * total) < total:
                continue
            # due soonest: smallest (x + C) / (w/W), compared as (x*k2 + c) / w without division
            num = x * k2 + c
            if best < 0 or num * best_w < best_num * w:
                best, best_num, best_w = i, num, w
        if best < 0:  # cannot happen by Tijdeman's theorem; never let a mix stall
            best = max(range(len(self._weights)), key=lambda i: self._weights[i])
        self._counts[best] += 1
        if t == total:  # the cycle is complete and every count exact: start over with small numbers
            self._t = 0
            self._counts = [0] * len(self._weights)
        return best


class MixSequence(Sequence[int]):
    """The cycle of a large mix, computed as it is read (in order: O(weights) a pick; else replayed)."""

    def __init__(self, weights: Sequence[int]) -> None:
        self._weights = list(weights)
        self._len = sum(weights)
        self._picker = _Picker(self._weights)
        self._pos = 0
        self._last = 0

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        if index == self._pos - 1:
            return self._last
        if index < self._pos:  # random access backwards: replay from the start of the cycle
            self._picker = _Picker(self._weights)
            self._pos = 0
        while self._pos <= index:
            self._last = self._picker.next()
            self._pos += 1
        if self._pos == self._len:  # the callers wrap to 0 next; the picker restarts itself there
            self._pos = 0
        return self._last

    def __iter__(self) -> Iterator[int]:
        picker = _Picker(self._weights)
        for _ in range(self._len):
            yield picker.next()


def mix_cycle(weights: Sequence[float]) -> Sequence[int]:
    """One full cycle of indexes into ``weights``; read it in order, wrapping around, to pick each next.

    A table (``array``) when the cycle is small, else a :class:`MixSequence` of the same picks. Either way
    the counts over any first ``n`` picks are within 1 of ``n * w[i] / sum(w)``.
    """
    ints = integer_weights(weights)
    total = sum(ints)
    if total * len(ints) > TABLE_BUDGET or total > sys.maxsize:
        return MixSequence(ints)
    picker = _Picker(ints)
    return array("B" if len(ints) <= 256 else "I", (picker.next() for _ in range(total)))

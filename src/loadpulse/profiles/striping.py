"""Which worker takes which of a run's numbered things: arrivals, VUs (pure; k6's execution segment sequence).

A :class:`SegmentSequence` is the segments of all workers, tiling [0, 1). Over one period of ``D`` things
(``D`` the common denominator of the segments' lengths) each position is given to one segment, so that the
segment of length ``l`` holds ``l * D`` of them and, among the first ``n`` things of the run for any ``n``,
holds within 1 of ``n * l``. A worker's :class:`Stripe` is its positions in the period, repeated forever:

- every thing goes to exactly one worker (the stripes partition the indices), so the workers' arrivals
  together are the single process's arrivals, each at its own time, and their VU counts add up exactly;
- the things interleave: with equal segments worker ``k`` takes things ``k, k + N, k + 2N, ...``, so N
  workers' arrivals are the single schedule dealt out in turn, not N scaled copies firing together;
- a worker's count of the first ``n`` things never goes down as ``n`` grows, so a VU ramp never retires a
  VU in one worker while starting one in another.

Positions are dealt earliest deadline first: segment ``i`` holding ``c`` things may take position ``p`` once
``c < (p + 1) * l`` (never ahead of its share), and among those the one whose next thing is due soonest,
``(c + 1) / l``, takes it (ties: the earlier segment). The lowest index first is what makes equal segments
take turns in order.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from loadpulse.errors import BadInput
from loadpulse.profiles.segment import Segment

if TYPE_CHECKING:
    from loadpulse.profiles.base import ArrivalSchedule

MAX_PERIOD = 100_000
"""The largest common denominator of a sequence's segments: dealing one period costs O(D log N) at start."""


@dataclass(frozen=True, slots=True)
class Stripe:
    """One worker's positions (``offsets``, ascending) in each ``period`` of the run's numbered things."""

    period: int = 1
    offsets: tuple[int, ...] = (0,)

    @property
    def whole(self) -> bool:
        return self.period == len(self.offsets)

    def count(self, n: int) -> int:
        """How many of the run's first ``n`` things (indices ``0 .. n-1``) are this worker's."""
        if n <= 0:
            return 0
        q, r = divmod(n, self.period)
        return q * len(self.offsets) + bisect.bisect_left(self.offsets, r)

    def index(self, j: int) -> int:
        """The run-wide index of this worker's ``j``-th thing (0-based)."""
        q, r = divmod(j, len(self.offsets))
        return q * self.period + self.offsets[r]

    def owns(self, g: int) -> bool:
        """True when the run's thing ``g`` is this worker's."""
        r = g % self.period
        i = bisect.bisect_left(self.offsets, r)
        return i < len(self.offsets) and self.offsets[i] == r


@dataclass(frozen=True, slots=True)
class SegmentSequence:
    """The segments of all workers of a run, in order, tiling [0, 1) (k6's execution segment sequence)."""

    segments: tuple[Segment, ...] = (Segment(),)

    def __post_init__(self) -> None:
        if not self.segments:
            raise BadInput("a segment sequence needs at least one segment")
        at = Fraction(0)
        for seg in self.segments:
            if seg.start != at:
                raise BadInput(f"segment sequence {self}: the segments must tile 0..1 in order, gap at {at}")
            at = seg.end
        if at != 1:
            raise BadInput(f"segment sequence {self}: the segments must reach 1, they stop at {at}")
        if self.period > MAX_PERIOD:
            raise BadInput(
                f"segment sequence {self}: its common denominator {self.period:,} is over {MAX_PERIOD:,}; "
                "use simpler fractions"
            )

    @classmethod
    def even(cls, n: int) -> SegmentSequence:
        """``n`` workers with equal shares (:meth:`Segment.split`)."""
        return cls(tuple(Segment.split(n)))

    @classmethod
    def around(cls, segment: Segment) -> SegmentSequence:
        """The sequence a lone segment is taken to belong to when none is given.

        A segment ``[k/n, (k+1)/n)`` is one of ``n`` equal workers (what :meth:`Segment.split` makes); any
        other is read as k6 reads it, beside the gaps around it: ``0, start, end, 1``. Workers of an uneven
        split must be given their sequence, or their stripes may overlap.
        """
        if segment.whole:
            return cls()
        length = segment.length
        if length.numerator == 1 and (segment.start / length).denominator == 1:
            return cls.even(length.denominator)
        cuts = sorted({Fraction(0), segment.start, segment.end, Fraction(1)})
        return cls(tuple(Segment(a, b) for a, b in itertools.pairwise(cuts)))

    @classmethod
    def parse(cls, text: str) -> SegmentSequence:
        """'0,1/4,1/2,1' (k6's form: the cut points, fractions or decimals) -> its segments."""
        try:
            cuts = [Fraction(part.strip()) for part in text.split(",")]
        except (ValueError, ZeroDivisionError):
            raise BadInput(f"segment sequence {text!r} is not cut points like 0,1/3,2/3,1") from None
        if len(cuts) < 2:
            raise BadInput(f"segment sequence {text!r} needs at least two cut points, like 0,1")
        return cls(tuple(Segment(a, b) for a, b in itertools.pairwise(cuts)))

    @property
    def period(self) -> int:
        return math.lcm(*(seg.length.denominator for seg in self.segments))

    def index(self, segment: Segment) -> int:
        try:
            return self.segments.index(segment)
        except ValueError:
            raise BadInput(f"segment {segment} is not one of the sequence {self}") from None

    def stripe(self, segment: Segment | int) -> Stripe:
        """The stripe of ``segment`` (or of the segment at that position) in this sequence."""
        i = segment if isinstance(segment, int) else self.index(segment)
        return _stripes(self)[i]

    @property
    def stripes(self) -> tuple[Stripe, ...]:
        """Every segment's stripe, in order (one look-up: hashing a long sequence is O(N))."""
        return _stripes(self)

    @property
    def spread(self) -> int:
        """How many of the run's first things it takes before every worker has one of them."""
        return max(s.offsets[0] for s in _stripes(self)) + 1

    def __str__(self) -> str:
        return ",".join(str(c) for c in (self.segments[0].start, *(s.end for s in self.segments)))


@lru_cache(maxsize=64)
def _stripes(sequence: SegmentSequence) -> tuple[Stripe, ...]:
    """Deal one period of positions to the sequence's segments (see the module's docstring)."""
    d = sequence.period
    shares = [int(seg.length * d) for seg in sequence.segments]
    held = [0] * len(shares)
    owned: list[list[int]] = [[] for _ in shares]
    # Keys are rationals with denominators <= D <= MAX_PERIOD: as floats, equal ones stay equal and
    # different ones stay apart and in order, so the heaps' floats decide exactly what fractions would.
    waiting = [(0.0, i) for i in range(len(shares))]  # by when the segment may take its next position
    ready: list[tuple[float, int]] = []  # by when its next position is due
    for p in range(d):
        while waiting and held[waiting[0][1]] * d < (p + 1) * shares[waiting[0][1]]:
            i = heapq.heappop(waiting)[1]
            heapq.heappush(ready, ((held[i] + 1) * d / shares[i], i))
        i = heapq.heappop(ready)[1]
        owned[i].append(p)
        held[i] += 1
        if held[i] < shares[i]:
            heapq.heappush(waiting, (held[i] * d / shares[i], i))
    return tuple(Stripe(d, tuple(o)) for o in owned)


class StripedSchedule:
    """The arrivals of ``whole`` that ``stripe`` takes, as an arrival schedule of their own (its ``j``-th
    arrival is the whole's arrival ``stripe.index(j)``, at the whole's time for it)."""

    __slots__ = ("_at", "_n", "_offset", "_offsets", "_period", "stripe", "whole")

    def __init__(self, whole: ArrivalSchedule, stripe: Stripe) -> None:
        self.whole = whole
        self.stripe = stripe
        # A worker's pacing calls arrival_ns once per arrival: Stripe.index inlined, the whole's bound
        # method kept, and equal workers (one offset per period) spared the divmod.
        self._at = whole.arrival_ns
        self._period = stripe.period
        self._offsets = stripe.offsets
        self._n = len(stripe.offsets)
        self._offset = stripe.offsets[0] if self._n == 1 else -1

    def arrival_ns(self, k: int) -> int | None:
        if self._offset >= 0:
            return self._at(k * self._period + self._offset)
        q, r = divmod(k, self._n)
        return self._at(q * self._period + self._offsets[r])

    def arrivals_by(self, elapsed_ns: int) -> int:
        return self.stripe.count(self.whole.arrivals_by(elapsed_ns))


def striped(schedule: ArrivalSchedule, stripe: Stripe) -> ArrivalSchedule:
    """``schedule`` as ``stripe``'s worker runs it: the schedule itself, untouched, for a whole stripe."""
    return schedule if stripe.whole else StripedSchedule(schedule, stripe)

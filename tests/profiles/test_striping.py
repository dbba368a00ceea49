"""Stripes: which worker takes which numbered thing of a run (profiles/striping.py), property-tested."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.errors import BadInput
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import MAX_PERIOD, SegmentSequence, Stripe


@st.composite
def tilings(draw: st.DrawFn) -> SegmentSequence:
    """N equal workers (1..64), or a random tiling of [0, 1) by up to 16 segments on a grid of 1/D."""
    if draw(st.booleans()):
        return SegmentSequence.even(draw(st.integers(1, 64)))
    d = draw(st.integers(1, 240))
    cuts = draw(st.sets(st.integers(1, d - 1), max_size=min(15, d - 1))) if d > 1 else set()
    points = [Fraction(0), *(Fraction(c, d) for c in sorted(cuts)), Fraction(1)]
    return SegmentSequence(tuple(Segment(a, b) for a, b in itertools.pairwise(points)))


@settings(max_examples=100, deadline=None)
@given(tilings())
def test_every_thing_goes_to_exactly_one_worker_and_each_holds_its_share_within_one(
    seq: SegmentSequence,
) -> None:
    stripes = [seq.stripe(i) for i in range(len(seq.segments))]
    n = 2 * seq.period + 3  # past a period boundary: the deal repeats
    owners: list[list[int]] = [[] for _ in range(n)]
    for i, stripe in enumerate(stripes):
        j = 0
        while (g := stripe.index(j)) < n:
            owners[g].append(i)
            j += 1
    assert all(len(o) == 1 for o in owners)
    assert all(stripes[o[0]].owns(g) for g, o in enumerate(owners))
    d = seq.period
    for i, (stripe, seg) in enumerate(zip(stripes, seq.segments, strict=True)):
        share = int(seg.length * d)
        held = 0
        for m in range(n + 1):
            assert stripe.count(m) == held
            assert abs(held * d - m * share) < d  # within 1 of m * length: never a burst of one worker's
            held += m < n and owners[m][0] == i
    assert sum(s.count(n) for s in stripes) == n


def test_equal_workers_take_turns_in_order() -> None:
    seq = SegmentSequence.even(4)
    assert [seq.stripe(i) for i in range(4)] == [Stripe(4, (i,)) for i in range(4)]
    assert [seq.stripe(1).index(j) for j in range(4)] == [1, 5, 9, 13]
    assert [seq.stripe(3).count(n) for n in range(9)] == [0, 0, 0, 0, 1, 1, 1, 1, 2]


def test_uneven_segments_interleave_instead_of_bunching() -> None:
    seq = SegmentSequence.parse("0,1/2,3/4,1")
    owners = [next(i for i in range(3) if seq.stripe(i).owns(g)) for g in range(8)]
    assert owners == [0, 1, 0, 2, 0, 1, 0, 2]


def test_the_whole_stripe_is_every_index() -> None:
    whole = SegmentSequence().stripe(0)
    assert whole.whole and whole.count(17) == 17 and whole.index(17) == 17 and whole.owns(5)


def test_a_lone_segment_is_read_as_one_of_equal_workers_or_beside_its_gaps() -> None:
    assert SegmentSequence.around(Segment.parse("1/3:2/3")) == SegmentSequence.even(3)
    assert SegmentSequence.around(Segment.parse("0:1/2")) == SegmentSequence.even(2)
    assert str(SegmentSequence.around(Segment.parse("1/4:3/4"))) == "0,1/4,3/4,1"
    assert str(SegmentSequence.around(Segment.parse("0:3/4"))) == "0,3/4,1"


def test_sequence_text_round_trips_and_bad_sequences_say_why() -> None:
    assert str(SegmentSequence.parse("0, 0.25, 1/2, 1")) == "0,1/4,1/2,1"
    with pytest.raises(BadInput, match="gap at 1/2"):
        SegmentSequence((Segment(Fraction(0), Fraction(1, 2)), Segment(Fraction(3, 4), Fraction(1))))
    with pytest.raises(BadInput, match="must reach 1"):
        SegmentSequence.parse("0,1/2")
    with pytest.raises(BadInput, match="cut points"):
        SegmentSequence.parse("0,a,1")
    with pytest.raises(BadInput, match="simpler fractions"):
        SegmentSequence.parse(f"0,1/{MAX_PERIOD + 1},1")
    with pytest.raises(BadInput, match="not one of the sequence"):
        SegmentSequence.even(2).stripe(Segment.parse("0:1/3"))

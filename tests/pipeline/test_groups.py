from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.metrics.cardinality import OTHER
from loadpulse.pipeline.groups import GroupCounts, imbalance_pct


@given(st.integers(1, 50), st.integers(1, 10_000))
def test_an_even_split_is_perfectly_balanced(groups: int, each: int) -> None:
    assert imbalance_pct({f"w{i}": each for i in range(groups)}) == 0.0


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 1000), min_size=1))
def test_imbalance_is_never_negative_and_bounded_by_the_group_count(counts: dict[str, int]) -> None:
    pct = imbalance_pct(counts)
    if sum(counts.values()) == 0:
        assert pct == 0.0  # every group at zero is an even split (a probe of idle channels)
    else:
        assert pct is not None and 0.0 <= pct <= (len(counts) - 1) * 100.0 + 1e-9


def test_the_largest_deviation_from_the_even_share_in_percent() -> None:
    assert imbalance_pct({"a": 120, "b": 80}) == pytest.approx(20.0)
    assert imbalance_pct({"a": 100, "b": 100, "c": 70, "d": 130}) == pytest.approx(30.0)


def test_a_group_that_never_shows_up_counts_as_idle() -> None:
    assert imbalance_pct({"a": 50, "b": 50}, groups=4) == pytest.approx(100.0)
    assert imbalance_pct({"a": 50, "b": 50}, groups=2) == 0.0


def test_nothing_counted_has_no_imbalance() -> None:
    assert imbalance_pct({}) is None
    assert imbalance_pct({"a": 0, "b": 0}) == 0.0  # all at zero: even


def test_past_the_cap_the_spread_is_not_known() -> None:
    """3,000 worker names (a column that is not the worker's name): the first thousand, one item each,
    would read as a perfectly fair split; the spread of what went to the catch-all is unknown."""
    assert imbalance_pct({"a": 10, "b": 10, OTHER: 500}) is None


@pytest.mark.parametrize("counts", [{"a": -1}, {"a": 1.5}, {"a": True}])
def test_bad_counts_are_refused(counts: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="count must be a non-negative int"):
        imbalance_pct(counts)


def test_group_counts_keep_at_most_cap_names() -> None:
    g = GroupCounts(cap=2)
    for name in ["a", "b", "c", "d", "a"]:
        g.add(name)
    assert g.counts == {"a": 2, "b": 1, OTHER: 2}
    assert g.imbalance_pct() is None  # what went to the catch-all has no known spread


def test_values_too_large_to_add_up_have_no_spread() -> None:
    from loadpulse.pipeline.groups import Spread

    spread = Spread()
    for value in (1e308, 1e308, 1.0):
        spread.add(value)
    assert spread.imbalance_pct() is None

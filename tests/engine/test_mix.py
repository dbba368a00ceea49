"""The weighted mix of tasks and requests: exact at any ratio (issue 10, item 11)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.engine.mix import TABLE_BUDGET, MixSequence, integer_weights, mix_cycle


def picks(cycle: Sequence[int], n: int) -> list[int]:
    """Read the cycle the way the drivers do: in order, wrapping around."""
    out, i = [], 0
    for _ in range(n):
        out.append(cycle[i])
        i = i + 1 if i + 1 < len(cycle) else 0
    return out


def assert_within_one(weights: Sequence[float], seq: list[int]) -> None:
    total = sum(weights)
    counts = [0] * len(weights)
    for n, i in enumerate(seq, 1):
        counts[i] += 1
        for j, w in enumerate(weights):
            assert abs(counts[j] - n * w / total) < 1, (weights, n, counts)


def test_mix_follows_weights_exactly_per_cycle() -> None:
    cycle = mix_cycle([50, 40, 10])
    assert len(cycle) == 10  # the smallest cycle with these ratios
    assert Counter(cycle) == {0: 5, 1: 4, 2: 1}


def test_light_task_in_a_5000_to_1_mix_runs() -> None:
    counts = Counter(picks(mix_cycle([5000, 1]), 30_000))
    assert abs(counts[1] - 6) <= 1 and counts[0] + counts[1] == 30_000


def test_mix_is_smooth_not_clumped() -> None:
    # a 1:1 mix alternates; a 3:1 mix never runs the heavy task 4 times in a row
    assert picks(mix_cycle([1, 1]), 6) in ([0, 1] * 3, [1, 0] * 3)
    seq = "".join(map(str, picks(mix_cycle([3, 1]), 40)))
    assert "0000" not in seq and "11" not in seq


def test_float_weights_are_read_as_the_fractions_they_mean() -> None:
    assert integer_weights([0.7, 0.2, 0.1]) == [7, 2, 1]
    assert integer_weights([2.5, 5, 0]) == [1, 2, 0]
    tiny, one = integer_weights([1e-9, 1])  # tiny but positive: still runs, in its own ratio
    assert tiny >= 1 and one / tiny == pytest.approx(1e9)


@pytest.mark.parametrize("bad", [[0, 0], [-1, 2], [float("inf"), 1], [float("nan")]])
def test_bad_weights_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        mix_cycle(bad)


def test_huge_ratio_is_computed_on_demand_and_still_exact() -> None:
    cycle = mix_cycle([1_000_000_000, 3, 1])
    assert isinstance(cycle, MixSequence) and len(cycle) == 1_000_000_004
    seq = picks(cycle, 200_000)
    assert_within_one([1_000_000_000, 3, 1], seq)
    assert cycle[5] == seq[5]  # random access replays the same picks


def test_table_and_on_demand_give_the_same_picks() -> None:
    weights = [7, 3, 2]
    table = mix_cycle(weights)
    assert len(table) * 3 <= TABLE_BUDGET
    assert list(table) == list(MixSequence(integer_weights(weights)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=3000),
)
def test_any_first_n_picks_are_within_one_of_the_share(weights: list[int], n: int) -> None:
    assert_within_one(weights, picks(mix_cycle(weights), n))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0.001, max_value=1000), min_size=2, max_size=5))
def test_float_weights_within_one_of_their_share(weights: list[float]) -> None:
    ints = integer_weights(weights)
    assert_within_one(ints, picks(mix_cycle(weights), 2000))

from __future__ import annotations

from collections import Counter

from loadpulse.engine.driver import MIX_CYCLE, mix_cycle


def test_mix_follows_weights_exactly_per_cycle() -> None:
    cycle = mix_cycle([50, 40, 10])
    assert len(cycle) == MIX_CYCLE
    assert Counter(cycle) == {0: 500, 1: 400, 2: 100}


def test_uneven_weights_use_largest_remainder() -> None:
    counts = Counter(mix_cycle([1, 1, 1]))
    assert sum(counts.values()) == MIX_CYCLE and max(counts.values()) - min(counts.values()) <= 1


def test_cycle_is_shuffled_but_reproducible() -> None:
    assert mix_cycle([1, 1]) == mix_cycle([1, 1])
    assert mix_cycle([1, 1])[:10] != [0] * 10

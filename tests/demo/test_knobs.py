from __future__ import annotations

import random

import pytest

from loadpulse.demo.knobs import Knobs


def test_added_latency_and_periodic_stalls() -> None:
    k = Knobs(latency_ms=5, stall_every_s=10, stall_for_s=2)
    assert k.delay_s(0.0) == pytest.approx(0.005)
    assert k.delay_s(7.9) == pytest.approx(0.005)
    assert k.delay_s(8.0) == pytest.approx(2.005)  # a stall starts: wait until it ends
    assert k.delay_s(9.5) == pytest.approx(0.505)
    assert k.delay_s(10.0) == pytest.approx(0.005)


def test_error_rate_is_a_fraction() -> None:
    rng = random.Random(1)
    k = Knobs(error_rate=0.25)
    fails = sum(k.fails(rng) for _ in range(10_000))
    assert 2300 < fails < 2700
    assert not Knobs().fails(rng)


@pytest.mark.parametrize(
    "knobs",
    [
        Knobs(latency_ms=-1),
        Knobs(error_rate=1.5),
        Knobs(stall_every_s=1, stall_for_s=1),
        Knobs(stall_for_s=-1),
    ],
)
def test_invalid_knobs(knobs: Knobs) -> None:
    with pytest.raises(ValueError):
        knobs.validate()

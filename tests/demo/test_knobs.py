from __future__ import annotations

import random

import pytest

from loadpulse.demo.knobs import Fate, Knobs


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
        Knobs(loss_rate=1.01),
        Knobs(duplicate_rate=-0.1),
        Knobs(stuck_rate=2),
        Knobs(slow_worker_ms=-5),
        Knobs(stop_worker_s=-1),
        Knobs(loss_rate=0.5, duplicate_rate=0.3, stuck_rate=0.3),
        Knobs(loss_rate="0.5"),  # type: ignore[arg-type]
        Knobs(loss_rate=float("nan")),
        Knobs(latency_ms=True),
    ],
)
def test_invalid_knobs(knobs: Knobs) -> None:
    with pytest.raises(ValueError):
        knobs.validate()


def test_each_item_gets_one_fate_in_proportion() -> None:
    rng = random.Random(2)
    k = Knobs(loss_rate=0.1, duplicate_rate=0.2, stuck_rate=0.3)
    k.validate()
    fates = [k.fate(rng) for _ in range(20_000)]
    shares = {f: fates.count(f) / len(fates) for f in Fate}
    for fate, share in ((Fate.LOST, 0.1), (Fate.TWICE, 0.2), (Fate.STUCK, 0.3), (Fate.DONE, 0.4)):
        assert abs(shares[fate] - share) < 0.02, fate
    assert k.mangles and not Knobs(slow_worker_ms=5).mangles


def test_a_rate_of_one_gives_every_item_that_fate() -> None:
    rng = random.Random(3)
    for knob, fate in (("loss_rate", Fate.LOST), ("duplicate_rate", Fate.TWICE), ("stuck_rate", Fate.STUCK)):
        k = Knobs(**{knob: 1.0})
        assert {k.fate(rng) for _ in range(1000)} == {fate}

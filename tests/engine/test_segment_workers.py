"""Workers' executors in virtual time, each running its cut of a profile: together they run the whole."""

from __future__ import annotations

from collections import Counter

import pytest

from loadpulse.profiles.base import ProfileConfig
from loadpulse.profiles.constant_rate import ConstantRate
from loadpulse.profiles.iterations import PerVuIterations, SharedIterations
from loadpulse.profiles.ramping_rate import RampingRate
from loadpulse.profiles.ramping_vus import RampingVus
from loadpulse.profiles.striping import SegmentSequence
from loadpulse.profiles.worker_part import WorkerPart
from tests.engine.scenario_fakes import Started, executor, run_executor, sleeps
from tests.protocols.mock_net import run_virtual

SEQUENCES = [SegmentSequence.even(3), SegmentSequence.parse("0,1/2,3/4,1")]


def run(profile: ProfileConfig, body_s: float) -> tuple[Started, int, int]:
    """(iterations started, iterations done, dropped) of one executor running ``profile``."""
    started = Started()
    ex, recorder = executor(profile, sleeps(body_s), started)
    run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    return started, rec.iterations, rec.dropped


def workers(profile: ProfileConfig, seq: SegmentSequence, body_s: float) -> list[tuple[Started, int, int]]:
    cuts = [WorkerPart(seq, i).cut(profile) for i in range(len(seq.segments))]
    return [run(cut, body_s) for cut in cuts if cut is not None]


@pytest.mark.parametrize("seq", SEQUENCES, ids=str)
@pytest.mark.parametrize(
    "profile",
    [
        ConstantRate(rate=50, duration=2, max_vus=10),
        RampingRate(start_rate=0, stages=("1s:60", "1s:60", "1s:0"), max_vus=10),  # type: ignore[arg-type]
    ],
    ids=lambda p: p.name,
)
def test_open_workers_start_every_arrival_of_the_whole_at_its_time(
    profile: ProfileConfig, seq: SegmentSequence
) -> None:
    whole, whole_done, _ = run(profile, 0.01)
    parts = workers(profile, seq, 0.01)
    intended = Counter(i for started, _, _ in parts for _, i, _ in started.at)
    assert intended == Counter(i for _, i, _ in whole.at)
    assert sum(done for _, done, _ in parts) == whole_done and all(dropped == 0 for *_, dropped in parts)
    ids = [{vu for *_, vu in started.at} for started, _, _ in parts]
    assert sum(len(s) for s in ids) == len(set().union(*ids))  # no VU id in two workers


@pytest.mark.parametrize("seq", SEQUENCES, ids=str)
def test_closed_workers_use_the_single_process_vu_ids_and_budget(seq: SegmentSequence) -> None:
    ramp = RampingVus(stages=("2s:9", "1s:9", "1s:0"), graceful_ramp_down=0)  # type: ignore[arg-type]
    whole, _, _ = run(ramp, 0.1)
    parts = workers(ramp, seq, 0.1)
    ids = [{vu for *_, vu in started.at} for started, _, _ in parts]
    assert sum(len(s) for s in ids) == 9
    assert set().union(*ids) == {vu for *_, vu in whole.at} == set(range(1, 10))

    shared = SharedIterations(vus=5, iterations=103)
    assert sum(done for _, done, _ in workers(shared, seq, 0.01)) == 103 == run(shared, 0.01)[1]
    per_vu = PerVuIterations(vus=7, iterations=4)
    assert sum(done for _, done, _ in workers(per_vu, seq, 0.01)) == 28

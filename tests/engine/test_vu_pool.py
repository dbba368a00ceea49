"""The scenarios' closed model (engine/vu_pool.py) in virtual time: iterations counted exactly."""

from __future__ import annotations

from collections import Counter

from loadpulse.profiles.constant_vus import ConstantVus
from loadpulse.profiles.registry import build_profile
from tests.engine.scenario_fakes import Started, executor, run_executor, sleeps
from tests.protocols.mock_net import run_virtual

S = 1_000_000_000
MS = 1_000_000


def test_constant_vus_run_iterations_back_to_back_for_the_duration() -> None:
    # 5 VUs, 0.3 s iterations, 10 s: each VU starts iterations at 0, 0.3, ... 9.9 (34 of them).
    started = Started()
    ex, recorder = executor(ConstantVus(vus=5, duration=10), sleeps(0.3), started)
    ended = run_virtual(lambda: run_executor(ex))
    assert recorder.for_scenario("s").iterations == 170
    assert Counter(vu for _, _, vu in started.at) == {vu: 34 for vu in range(1, 6)}
    assert all(intended == 0 for _, intended, _ in started.at)  # closed model: no intended start
    # The last iterations (from 9.9 s) end at 10.2 s, inside the graceful stop.
    assert 10_200 * MS <= ended <= 10_200 * MS + 20 * MS


def test_think_time_spaces_iterations() -> None:
    started = Started()
    ex, recorder = executor(ConstantVus(vus=1, duration=10), sleeps(0.45), started, think_s=0.5)
    run_virtual(lambda: run_executor(ex))
    assert recorder.for_scenario("s").iterations == 11  # started at 0, 0.95, ... 9.5 s
    assert [at // MS for at, _, _ in started.at[:3]] == [0, 950, 1900]


def test_per_vu_iterations_end_the_scenario_early() -> None:
    profile = build_profile({"profile": "per-vu-iterations", "vus": 3, "iterations": 4})
    started = Started()
    ex, recorder = executor(profile, sleeps(0.3), started)
    ended = run_virtual(lambda: run_executor(ex))
    assert recorder.for_scenario("s").iterations == 12
    assert Counter(vu for _, _, vu in started.at) == {1: 4, 2: 4, 3: 4}
    assert ended < 2 * S  # 4 x 0.3 s and a controller tick, not the profile's max duration


def test_shared_iterations_are_shared_exactly() -> None:
    profile = build_profile({"profile": "shared-iterations", "vus": 4, "iterations": 10})
    ex, recorder = executor(profile, sleeps(0.1), Started())
    run_virtual(lambda: run_executor(ex))
    assert recorder.for_scenario("s").iterations == 10


def test_ramp_down_retires_vus_after_their_graceful_ramp_down() -> None:
    # 4 VUs for 1 s, then 1 VU for 1 s; iterations take 5 s, so the 3 retired VUs are interrupted
    # at 1 s + graceful_ramp_down (0.5 s) and the last one at the end + graceful_stop (1 s).
    profile = build_profile(
        {
            "profile": "ramping-vus",
            "start_vus": 4,
            "stages": ["1s:4", "0s:1", "1s:1"],
            "graceful_ramp_down": 0.5,
            "graceful_stop": 1,
        }
    )
    ex, recorder = executor(profile, sleeps(5), Started())
    ended = run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    assert (rec.interrupted, rec.iterations) == (4, 0)
    assert 3 * S <= ended <= 3 * S + 100 * MS

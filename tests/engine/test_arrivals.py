"""The scenarios' open model (engine/arrivals.py) in virtual time: exact counts and intended times."""

from __future__ import annotations

from loadpulse.profiles.constant_rate import ConstantRate
from loadpulse.profiles.ramping_rate import RampingRate
from tests.engine.scenario_fakes import Started, executor, run_executor, sleeps
from tests.protocols.mock_net import run_virtual

S = 1_000_000_000
MS = 1_000_000


def test_a_sixty_second_ramp_runs_every_arrival_at_its_intended_time() -> None:
    profile = RampingRate(start_rate=0, stages=("30s:100", "30s:100"), max_vus=20)  # type: ignore[arg-type]
    started = Started()
    ex, recorder = executor(profile, sleeps(0.05), started)
    ended = run_virtual(lambda: run_executor(ex))
    expected = [profile.arrival_ns(k) for k in range(4500)]  # 30 s ramping to 100/s, then 30 s at 100/s
    assert profile.arrival_ns(4500) is None
    assert [intended for _, intended, _ in started.at] == expected
    # Each iteration starts the moment it is due (virtual time: within the loop's 1 ns rounding).
    assert all(0 <= at - intended < 1000 for at, intended, _ in started.at)
    rec = recorder.for_scenario("s")
    assert (rec.iterations, rec.dropped, recorder.dropped, rec.interrupted) == (4500, 0, 0, 0)
    assert 60 * S <= ended < 60 * S + 100 * MS


def test_arrivals_without_a_free_vu_are_dropped_not_delayed() -> None:
    # 10/s for 10 s, 2 VUs, each iteration 0.95 s: each second 2 start (at .0 and .1) and 8 are dropped.
    profile = ConstantRate(rate=10, duration=10, max_vus=2)
    started = Started()
    ex, recorder = executor(profile, sleeps(0.95), started)
    run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    assert (rec.iterations, rec.dropped, recorder.dropped) == (20, 80, 80)
    assert [intended // MS for _, intended, _ in started.at[:4]] == [0, 100, 1000, 1100]


def test_pre_allocated_vus_are_warmed_before_the_clock_starts() -> None:
    profile = ConstantRate(rate=1, duration=1, pre_allocated_vus=3, max_vus=5)
    ex, _ = executor(profile, sleeps(0), Started())
    run_virtual(lambda: run_executor(ex))
    assert [s.ctx.warmed for s in ex.slots] == [1, 1, 1]


def test_graceful_stop_interrupts_what_is_still_running_on_time() -> None:
    # Arrivals at 0 s and 1 s, each iteration 10 s: the profile ends at 2 s, gives 3 s, then interrupts.
    profile = ConstantRate(rate=1, duration=2, max_vus=5, graceful_stop=3)
    ex, recorder = executor(profile, sleeps(10), Started())
    ended = run_virtual(lambda: run_executor(ex))
    rec = recorder.for_scenario("s")
    assert (rec.interrupted, rec.iterations) == (2, 0)
    assert 5 * S <= ended <= 5 * S + 20 * MS  # wind_down checks every 10 ms


def test_a_start_offset_delays_the_schedule() -> None:
    profile = ConstantRate(rate=2, duration=1, start=7)
    started = Started()
    ex, _ = executor(profile, sleeps(0), started)
    run_virtual(lambda: run_executor(ex))
    assert [intended for _, intended, _ in started.at] == [7 * S, 7 * S + S // 2]

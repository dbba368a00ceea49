"""The one pacer (profiles.base.pace) over every open schedule: table-driven, like vegeta's pacer_test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.profiles.base import ArrivalSchedule, pace
from loadpulse.profiles.constant_rate import ConstantRate, SteadyRate
from loadpulse.profiles.ramping_rate import RampingRate

MS = 1_000_000
S = 1_000_000_000


@pytest.mark.parametrize(
    ("elapsed", "started", "rate", "limit", "expected"),
    [
        (0, 0, 1000, None, (1, 1 * MS)),  # the first arrival is due at once
        (0, 1, 1000, None, (0, 1 * MS)),
        (MS // 2, 1, 1000, None, (0, MS // 2)),
        (10 * MS, 1, 1000, None, (10, 1 * MS)),  # a late tick: all overdue arrivals at once, no drift
        (10 * MS, 11, 1000, None, (0, 1 * MS)),
        (10 * MS, 0, 1000, 5, (5, None)),  # the limit caps arrivals and ends the schedule
        (-5, 0, 1000, None, (0, 5)),  # before the start: wait for it
        (999_999_999, 0, 3, None, (3, 1)),
        (3600 * S, 0, 1000, None, (3_600_001, 1 * MS)),  # an hour behind: one step, counted exactly
    ],
)
def test_steady_rate_table(
    elapsed: int, started: int, rate: float, limit: int | None, expected: tuple[int, int | None]
) -> None:
    assert pace(SteadyRate(rate), elapsed, started, limit) == expected


@pytest.mark.parametrize(
    ("elapsed", "started", "due", "wait"),
    [
        (0, 0, 1, 100 * MS),
        (50 * MS, 1, 0, 50 * MS),
        (350 * MS, 1, 3, 50 * MS),  # a late caller gets every missed arrival at once, nothing drifts
        (950 * MS, 10, 0, None),  # 10 arrivals in 1 s at 10/s: done
        (60 * S, 0, 10, None),  # long past the end: exactly the profile's arrivals
    ],
)
def test_constant_rate_profile_table(elapsed: int, started: int, due: int, wait: int | None) -> None:
    assert pace(ConstantRate(rate=10, duration=1), elapsed, started) == (due, wait)


def walk(schedule: ArrivalSchedule, end_ns: int, step_ns: int, limit: int | None = None) -> list[int]:
    """Every arrival handed out by pacing at irregular ticks, as its intended time."""
    out: list[int] = []
    t = 0
    while t <= end_ns:
        n, wait = pace(schedule, t, len(out), limit)
        for _ in range(n):
            at = schedule.arrival_ns(len(out))
            assert at is not None and at <= t
            out.append(at)
        if wait is None:
            break
        t += min(step_ns, max(wait, 1))
    return out


def test_irregular_ticks_hand_out_every_arrival_once_in_order() -> None:
    ramp = RampingRate(stages=("10s:100", "5s:100", "10s:0"), max_vus=50)  # type: ignore[arg-type]
    times = walk(ramp, 30 * S, 7 * MS)
    assert len(times) == 1500
    assert times == sorted(times) and len(set(times)) == 1500
    assert times == [ramp.arrival_ns(k) for k in range(1500)]


def test_limit_applies_to_ramps_too() -> None:
    ramp = RampingRate(start_rate=100, stages=("1s:100",))  # type: ignore[arg-type]
    assert len(walk(ramp, 2 * S, 13 * MS, limit=42)) == 42


def test_pause_in_a_ramp_waits_for_the_next_stage() -> None:
    burst = RampingRate(start_rate=100, stages=("1s:100", "0s:0", "2s:0", "0s:100", "1s:100"))  # type: ignore[arg-type]
    n, wait = pace(burst, 2 * S, 100)
    assert n == 0 and wait == 1 * S


@given(st.integers(min_value=0, max_value=40 * S), st.integers(min_value=0, max_value=2000))
def test_ramp_count_matches_its_arrival_times(elapsed: int, started: int) -> None:
    ramp = RampingRate(start_rate=3, stages=("10s:100", "5s:100", "10s:0"))  # type: ignore[arg-type]
    due_by = ramp.arrivals_by(elapsed)
    n, wait = pace(ramp, elapsed, min(started, due_by))
    total = min(started, due_by) + n
    times = [ramp.arrival_ns(k) for k in range(total + 2)]
    assert total == sum(1 for at in times if at is not None and at <= elapsed)
    if wait is not None:
        nxt = ramp.arrival_ns(total)
        assert nxt is not None and wait == nxt - elapsed


@given(st.floats(min_value=0.5, max_value=5000), st.floats(min_value=0.1, max_value=10))
def test_constant_rate_count_is_rate_times_duration(rate: float, duration: float) -> None:
    n, wait = pace(ConstantRate(rate=rate, duration=duration), 31 * 24 * 3600 * S, 0)
    assert wait is None
    assert abs(n - rate * duration) <= 1.0

"""Recovery time and impact on synthetic interval series."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.faults.recovery import Interval, Limit, Objectives, assess, impact, objectives, recovery_time


def series(p95s: list[float], failed: list[int] | None = None, requests: int = 100) -> list[Interval]:
    """One-second intervals ending at 1, 2, 3 … with these p95s (and failures)."""
    failed = failed or [0] * len(p95s)
    return [
        Interval(t_s=i + 1.0, interval_s=1.0, requests=requests, failed=f, p95_ms=p, p99_ms=p * 1.2)
        for i, (p, f) in enumerate(zip(p95s, failed, strict=True))
    ]


def test_baseline_rule() -> None:
    s = series([10, 12, 11, 300, 300, 11, 10, 10, 10, 10, 10, 10, 10])
    goals = objectives(s, first_fault_s=3.0)
    assert goals.p95_ms == Limit("<=", 18.0)  # 1.5 x the worst 12 ms (more than 12 + 5)
    assert goals.error_rate is not None and goals.error_rate.bound == pytest.approx(0.01)
    # The fault was on 3..5 s; (5, 6] is healthy and starts the first 5 s window: recovered at once.
    assert recovery_time(s, 5.0, goals) == 0.0
    slow = series([10, 10, 10, 300, 300, 300, 40, 10, 10, 10, 10, 10, 10])
    assert recovery_time(slow, 5.0, objectives(slow, 3.0)) == 2.0  # healthy from 7 s on


def test_tiny_latencies_get_an_absolute_slack() -> None:
    goals = objectives(series([1, 1, 1]), 3.0)
    assert goals.p95_ms == Limit("<=", 6.0)


def test_thresholds_take_the_place_of_the_baseline() -> None:
    s = series([10, 10, 10, 150, 150, 150, 150, 150, 150, 150, 150, 150])
    # Without a threshold 150 ms is unhealthy (baseline 10 ms); p95 < 200ms says it is fine.
    assert recovery_time(s, 4.0, objectives(s, 3.0)) is None
    assert recovery_time(s, 4.0, objectives(s, 3.0, p95=Limit("<", 200.0))) == 0.0


def test_errors_and_silence_are_unhealthy() -> None:
    s = series([10] * 12, failed=[0, 0, 0, 50, 50, 9, 0, 0, 0, 0, 0, 0])
    assert recovery_time(s, 4.0, objectives(s, 3.0)) == 2.0  # (6, 7] on: 0 errors
    quiet = [*series([10] * 3), *(Interval(t, 1.0, 0, 0, 0.0, 0.0) for t in (4.0, 5.0)), *series([10] * 5)]
    quiet = [
        Interval(float(i + 1), 1.0, iv.requests, iv.failed, iv.p95_ms, iv.p99_ms)
        for i, iv in enumerate(quiet)
    ]
    assert recovery_time(quiet, 3.0, objectives(quiet, 3.0)) == 2.0


def test_settling_window_is_at_least_settle_and_three_intervals() -> None:
    s = [
        Interval(t_s=0.5 * (i + 1), interval_s=0.5, requests=10, failed=0, p95_ms=10, p99_ms=10)
        for i in range(30)
    ]
    goals = Objectives(p95_ms=Limit("<", 20))
    assert recovery_time(s, 2.0, goals, settle_s=1.0) == 0.0
    assert recovery_time(s[:6], 2.0, goals, settle_s=1.0) is None  # (2, 3]: 2 intervals only
    assert recovery_time(s[:7], 2.0, goals, settle_s=1.0) == 0.0
    assert recovery_time(s, 14.0, goals) is None  # 5 s do not fit after 14 s in a 15 s run


def test_backlog_and_drops_must_be_back_to_the_baseline() -> None:
    rows = [
        Interval(float(i + 1), 1.0, 100, 0, 10, 10, dropped=d, backlog=b)
        for i, (d, b) in enumerate([(0, 4), (0, 5), (0, 80), (3, 200), (0, 120), (0, 6), *[(0, 5)] * 6])
    ]
    goals = objectives(rows, 2.0)
    assert goals.backlog is not None and goals.backlog.bound == pytest.approx(0.075)
    assert goals.dropped == Limit("<=", 0.0)
    assert recovery_time(rows, 2.0, goals) == 3.0  # (5, 6] is the first interval with a drained backlog
    # Twice the load, twice the backlog: still healthy.
    busier = [
        Interval(iv.t_s, 1.0, 200 if iv.t_s > 5 else 100, 0, 10, 10, 0, 10 if iv.t_s > 5 else iv.backlog)
        for iv in rows
    ]
    assert recovery_time(busier, 2.0, objectives(busier, 2.0)) == 3.0


def test_no_objective_no_recovery() -> None:
    idle = [Interval(float(i + 1), 1.0, 0, 0, 0, 0) for i in range(10)]
    assert recovery_time(idle, 0.0, objectives(idle, 0.0)) is None


def test_impact_of_a_lasting_fault_and_of_a_kill() -> None:
    s = series([10, 10, 10, 300, 400, 10, 10, 10, 10, 10, 10], failed=[0, 0, 0, 5, 7, 0, 0, 0, 0, 0, 0])
    got = assess(s, 3.0, 5.0, objectives(s, 3.0))
    assert got.recovered and got.recovery_s == 0.0
    assert got.impact.to_dict() == {
        "requests": 200,
        "errors": 12,
        "error_rate": 0.06,
        "dropped": 0,
        "p99_ms": 480.0,
    }
    kill = assess(s, 3.0, 3.0, objectives(s, 3.0))
    assert kill.recovery_s == 2.0 and kill.impact.requests == 200  # from the kill until (5, 6] began
    never = series([10, 10, 10, 300, 300, 300])
    lost = assess(never, 3.0, 3.0, objectives(never, 3.0))
    assert not lost.recovered and lost.impact.requests == 300 and lost.impact.p99_ms == 360.0


@given(
    before=st.integers(1, 10),
    bad=st.integers(0, 20),
    after=st.integers(0, 20),
    fault_len=st.integers(0, 5),
)
def test_recovery_is_where_the_bad_intervals_end(before: int, bad: int, after: int, fault_len: int) -> None:
    """A healthy baseline, the fault, ``bad`` unhealthy intervals after it, then healthy ones: recovered
    exactly when the bad ones end, if 5 s fit in what is left; never earlier than the fault's end."""
    p95s = [10.0] * before + [500.0] * (fault_len + bad) + [10.0] * after
    s = series(p95s)
    end = float(before + fault_len)
    got = recovery_time(s, end, objectives(s, float(before)))
    if after >= 5:
        assert got == float(bad)
    else:
        assert got is None


def _tail(ends: list[float], step: float = 1.0, requests: int = 100) -> list[Interval]:
    return [Interval(t, step, requests, 0, 10.0, 12.0) for t in ends]


def test_a_window_a_hair_short_of_settle_counts_and_a_partial_tail_is_not_judged() -> None:
    """A 12 s run, reset 6-7 s: 7.0-11.999 is healthy (4.999 s of 5 s), then a 0.019 s tail that fails."""
    goals = Objectives(p95_ms=Limit("<=", 20.0))
    s = [Interval(float(t), 1.0, 100, 0, 10.0, 12.0) for t in range(1, 8)]
    s[6] = Interval(7.0, 1.0, 100, 100, 10.0, 12.0)  # (6, 7]: every request reset
    s += [Interval(t + 0.999, 1.0, 100, 0, 10.0, 12.0) for t in range(7, 11)]
    s.append(Interval(11.999, 0.999, 100, 0, 10.0, 12.0))
    s.append(Interval(12.018, 0.019, 4, 0, 500.0, 500.0))  # the partial tail, far off the baseline
    got = assess(s, 6.0, 7.0, Objectives(p95_ms=goals.p95_ms, error_rate=Limit("<=", 0.01)))
    assert got.recovered is True and got.recovery_s == 0.0


def test_healthy_until_the_end_but_the_window_does_not_fit_is_not_measurable() -> None:
    goals = Objectives(p95_ms=Limit("<", 20.0))
    s = _tail([1, 2, 3, 4, 5])
    got = assess(s, 1.0, 1.0, goals, settle_s=None)  # 4 s after it, a 5 s window cannot fit
    assert got.recovered is None and got.recovery_s is None
    assert got.settling.state == "unmeasured" and got.settling.recovery_s == 0.0
    assert "did not fit" in got.settling.note
    nothing_after = assess(s, 5.0, 5.0, goals)
    assert nothing_after.recovered is None and "no interval after it" in nothing_after.settling.note
    sick = [*s[:-1], Interval(5.0, 1.0, 100, 0, 300.0, 300.0)]
    assert assess(sick, 1.0, 1.0, goals).recovered is False  # unhealthy at the end: never


def test_the_settling_window_stops_at_the_next_fault() -> None:
    """Fault A ends at 2 s; fault B starts at 5 s and hurts 5-9 s: B's impact is not A's slow recovery."""
    goals = Objectives(p95_ms=Limit("<", 20.0))
    p95s = [10, 10, 300, 10, 10, 300, 300, 300, 300, 10, 10, 10, 10, 10, 10]
    s = [Interval(float(i + 1), 1.0, 100, 0, p, p) for i, p in enumerate(p95s)]
    alone = assess(s, 2.0, 2.0, goals)
    assert alone.recovery_s == 7.0  # judged to the run's end, B's 4 bad seconds count against A
    cut = assess(s, 2.0, 2.0, goals, horizon_s=5.0)
    assert cut.recovered is None and cut.settling.recovery_s == 1.0  # healthy 3-5 s, too short
    assert "the next fault" in cut.settling.note
    assert cut.impact.p99_ms == 300.0 and cut.impact.requests == 300  # (2, 5]: not B's intervals
    assert assess(s, 2.0, 2.0, goals, horizon_s=9.0).recovered is False  # still slow when B began
    worse = [
        *s[:3],
        Interval(4.0, 1.0, 100, 0, 300.0, 300.0),
        Interval(5.0, 1.0, 100, 0, 300.0, 300.0),
        *s[5:],
    ]
    assert assess(worse, 2.0, 2.0, goals, horizon_s=5.0).recovered is False


def test_an_interval_overlapping_the_next_fault_is_not_judged_for_the_earlier_one() -> None:
    """A ends at 2 s, healthy 3-7 s; B starts at 7.9 s and (7, 8] is bad: that is B's doing, not A's."""
    goals = Objectives(p95_ms=Limit("<", 20.0))
    p95s = [10, 10, 300, 10, 10, 10, 10, 300, 10, 10]
    s = [Interval(float(i + 1), 1.0, 100, 0, p, p) for i, p in enumerate(p95s)]
    got = assess(s, 2.0, 2.0, goals, horizon_s=7.9)
    assert got.recovered is None and got.settling.state == "unmeasured", got.settling
    assert got.settling.recovery_s == 1.0 and "the next fault" in got.settling.note
    # an interval ending at the next fault's start is still the earlier fault's (or ms after it: the
    # interval's cut and the next fault fire a few ms apart on the same clock)
    assert assess(s, 2.0, 2.0, goals, horizon_s=8.0).recovered is False
    assert assess(s, 2.0, 2.0, goals, horizon_s=7.995).recovered is False


def test_an_interval_cut_a_moment_after_a_fault_began_is_not_its_impact() -> None:
    # The cut "at 3 s" came 0.4 ms after the fault "at 3 s" fired: that interval was all before the fault.
    series = [
        Interval(t_s=3.0004, interval_s=1.0, requests=17_000, failed=0, p95_ms=0.4, p99_ms=0.5),
        Interval(t_s=4.0004, interval_s=1.0, requests=80, failed=0, p95_ms=52.0, p99_ms=55.0),
        Interval(t_s=5.0004, interval_s=1.0, requests=78, failed=1, p95_ms=52.0, p99_ms=57.0),
        Interval(t_s=6.0004, interval_s=1.0, requests=16_000, failed=0, p95_ms=0.4, p99_ms=0.5),
    ]
    hit = impact(series, 3.0, 5.0)
    assert (hit.requests, hit.errors, hit.p99_ms) == (158, 1, 57.0)

"""Occurrences of every fault within the run, and the faults that cannot run as asked."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.faults.proxy_faults import BadFault
from loadpulse.faults.proxy_spec import parse_proxies
from loadpulse.faults.schedule import collapsed, occurrences, schedule, unmeasurable
from loadpulse.faults.spec import parse_fault

PROXIES = parse_proxies({"db": {"listen": "6390", "upstream": "6379"}}, "f")


def test_every_fires_from_at_until_the_planned_end() -> None:
    f = parse_fault({"every": "20s", "kill": "process:w"}, "f")
    assert [o.start_s for o in occurrences(f, 70)] == [20, 40, 60]
    g = parse_fault({"at": "5s", "every": "10s", "count": 2, "for": "1s", "proxy": "db", "stall": True}, "f")
    assert [(o.start_s, o.end_s) for o in occurrences(g, 100)] == [(5, 6), (15, 16)]
    h = parse_fault({"at": 0, "every": 1, "until": "3s", "run": "true"}, "f")
    assert [o.start_s for o in occurrences(h, 100)] == [0, 1, 2]


@given(
    at=st.floats(0, 50),
    every=st.floats(0.5, 30),
    planned=st.floats(1, 200),
    count=st.none() | st.integers(1, 20),
)
def test_occurrences_are_evenly_spaced_and_within_bounds(
    at: float, every: float, planned: float, count: int | None
) -> None:
    entry: dict[str, object] = {"at": at, "every": every, "run": "true"}
    if count is not None:
        entry["count"] = count
    got = [o.start_s for o in occurrences(parse_fault(entry, "f"), planned)]
    assert got[0] == at
    assert all(b - a == pytest.approx(every) for a, b in itertools.pairwise(got))
    assert all(t < planned for t in got[1:])
    if count is not None:
        assert len(got) <= count


def test_what_cannot_run_as_asked() -> None:
    late = parse_fault({"at": "90s", "run": "true"}, "f")
    with pytest.raises(BadFault, match=r"fires at 90s, past the end of the 60s run set by --preset quick$"):
        schedule([late], {}, 60, "--preset quick")
    unknown = parse_fault({"at": 1, "proxy": "cache", "stall": True}, "f")
    with pytest.raises(BadFault, match="no proxy named 'cache' \\(db\\)"):
        schedule([unknown], PROXIES, 60)
    endless = parse_fault({"every": "1s", "run": "true"}, "f")
    with pytest.raises(BadFault, match="no planned end"):
        schedule([endless], {}, None)


def test_overlapping_faults_on_one_proxy_must_not_contradict() -> None:
    a = parse_fault({"at": "10s", "for": "10s", "proxy": "db", "latency": "200ms", "name": "slow"}, "a")
    b = parse_fault({"at": "15s", "for": "10s", "proxy": "db", "latency": "500ms"}, "b")
    with pytest.raises(BadFault, match=r"^b: overlaps 'slow' on proxy 'db' from 15s and contradicts it"):
        schedule([a, b], PROXIES, 60)
    after = parse_fault({"at": "20s", "for": "10s", "proxy": "db", "latency": "500ms"}, "c")
    resets = parse_fault({"at": "12s", "for": "2s", "proxy": "db", "reset": "5%"}, "d")
    assert [o.fault.where for o in schedule([a, after, resets], PROXIES, 60)] == ["a", "d", "c"]
    forever = parse_fault({"at": "1s", "proxy": "db", "latency": "1ms"}, "e")
    with pytest.raises(BadFault, match="contradicts"):
        schedule([forever, after], PROXIES, 60)


def test_a_fault_whose_settling_window_cannot_fit_is_warned_about() -> None:
    late = parse_fault({"at": "1s", "run": "true"}, "f")  # -d 5s: the run ends 1 s + run's time in
    fine = parse_fault({"at": "1s", "for": "1s", "kill": "pid:1", "signal": "STOP", "settle": "2s"}, "g")
    warnings = unmeasurable(schedule([late, fine], {}, 5.0), 5.0)
    assert len(warnings) == 1 and warnings[0].startswith("f: 'run-1' ends at 1s at the earliest")
    assert "recovery will not be measurable" in warnings[0]
    assert unmeasurable(schedule([late], {}, 60.0), 60.0) == []


def test_every_is_at_least_the_run_s_interval() -> None:
    fast = parse_fault({"every": "1ms", "count": 300, "run": "true"}, "--fault #1")
    with pytest.raises(
        BadFault, match=r"^--fault #1\.every: 0\.001s is shorter than the run's interval \(1s\)"
    ):
        schedule([fast], {}, 2.0)
    half = parse_fault({"every": "500ms", "count": 3, "run": "true"}, "f")
    assert len(schedule([half], {}, 10.0, interval_s=0.5)) == 3  # a finer interval allows it
    with pytest.raises(BadFault, match="shorter than the run's interval"):
        schedule([half], {}, 10.0)


def test_identical_warnings_are_said_once_with_a_count() -> None:
    lines = ["fault 'r': not measurable", "fault 'k': no process", *["fault 'r': not measurable"] * 39]
    assert collapsed(lines) == ["fault 'r': not measurable (x40)", "fault 'k': no process"]
    assert collapsed(["a", "b"]) == ["a", "b"]

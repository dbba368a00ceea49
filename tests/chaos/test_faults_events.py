"""The fault timeline on its own: rows marked with the faults on during them, the outputs' events (start,
end, recovered, warning) in order, faults still on at the final cut closed there."""

from __future__ import annotations

from loadpulse.chaos.timeline import FaultTimeline
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.thresholds.declared import parse_thresholds


def row(t: float, p95: float = 5.0, requests: int = 100) -> SeriesRow:
    return SeriesRow(t, 1.0, requests, requests, 0, requests, p95, p95, p95, p95, p95, {}, 0, 0, 1)


class Clock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def at(timeline: FaultTimeline, t_s: float) -> None:
    """Move the timeline's fake clock to ``t_s`` seconds into the load."""
    assert isinstance(timeline.clock, Clock)
    timeline.clock.ns = int(t_s * 1e9)


def cut(timeline: FaultTimeline, agg: Aggregate, r: SeriesRow, final: bool = False) -> SeriesRow:
    agg.series.append(r)
    timeline.on_cut(r, agg, final)
    return r


def test_rows_events_and_recovery() -> None:
    events: list[tuple[str, str, int]] = []
    tl = FaultTimeline(
        parse_thresholds(["p95 < 50ms"]),
        lambda n, k, phase, t, d: events.append((n, phase, round(t))),
        Clock(),
    )
    agg = Aggregate()
    cut(tl, agg, row(1.0))
    at(tl, 1.5)
    rec = tl.begin("db-slow", "proxy", "db", "latency 200ms", 2.0)
    assert cut(tl, agg, row(2.0, 220)).faults_active == ["db-slow"]
    assert agg.faults is not None and agg.faults[0]["end_s"] is None
    at(tl, 3.5)
    tl.end(rec)
    assert cut(tl, agg, row(3.0, 220)).faults_active == ["db-slow"]
    assert cut(tl, agg, row(4.0, 60)).faults_active == ["db-slow"]  # it ended at 3.5 s, within (3, 4]
    for t in range(5, 11):
        assert cut(tl, agg, row(float(t))).faults_active == []
    (f,) = agg.faults
    assert f["recovered"] and f["recovery_s"] == 0.5  # (4, 5] is healthy under p95 < 50ms: 4 - 3.5
    assert f["impact"]["requests"] == 300 and f["impact"]["p99_ms"] == 220.0
    assert events == [("db-slow", "start", 2), ("db-slow", "end", 4), ("db-slow", "recovered", 4)]


def test_the_final_cut_closes_what_is_still_on() -> None:
    tl = FaultTimeline(clock=Clock())
    agg = Aggregate()
    cut(tl, agg, row(1.0))
    at(tl, 1.2)
    tl.begin("forever", "proxy", "db", "stall")  # lasts to the run's end: no warning
    planned = tl.begin("long", "pause", "pid:1", "SIGSTOP pid:1 then SIGCONT", 60.0)
    at(tl, 1.4)
    kill = tl.begin("kill-w", "kill", "process:w", "SIGKILL process:w")
    tl.end(kill)
    tl.warn(kill, "pid 9 had already ended")
    assert cut(tl, agg, row(2.0)).faults_active == ["forever", "long", "kill-w"]
    cut(tl, agg, row(2.5), final=True)
    assert agg.faults is not None
    assert [(f["name"], f["end_s"]) for f in agg.faults] == [("forever", 2.5), ("long", 2.5), ("kill-w", 1.4)]
    # No settling window fits: not measurable (null), not "never".
    assert [f["recovered"] for f in agg.faults] == [None, None, None]
    assert planned.warnings[0] == "still on when the load ended at 2.5 s: undone then"
    assert tl.warnings[:2] == [
        "fault 'kill-w': pid 9 had already ended",
        "fault 'long': still on when the load ended at 2.5 s: undone then",
    ]
    assert "not measurable: no interval after it" in agg.faults[0]["recovery_note"]
    assert (
        "healthy from" in agg.faults[2]["recovery_note"] and "did not fit" in agg.faults[2]["recovery_note"]
    )
    assert any("fault 'kill-w': recovery not measurable" in w for w in tl.warnings)


def test_a_fault_s_settling_window_stops_where_the_next_fault_begins() -> None:
    """A kill at 2 s; another at 5 s that slows 5-9 s: the first is not charged the second's impact."""
    tl = FaultTimeline(parse_thresholds(["p95 < 50ms"]), clock=Clock())
    agg = Aggregate()
    for t in (1.0, 2.0):
        cut(tl, agg, row(t))
    at(tl, 2.0)
    tl.end(tl.begin("kill-a", "kill", "process:a", "SIGKILL"), instant=True)
    for t in (3.0, 4.0, 5.0):
        cut(tl, agg, row(t))
    at(tl, 5.0)
    tl.end(tl.begin("kill-b", "kill", "process:b", "SIGKILL"), instant=True)
    for t in range(6, 10):
        cut(tl, agg, row(float(t), 300.0))
    assert agg.faults is not None
    first = agg.faults[0]
    assert first["recovered"] is None and first["recovery_s"] == 0.0  # healthy 2-5 s: 3 s of 5 s
    assert "until the next fault" in first["recovery_note"]
    assert first["impact"]["p99_ms"] == 5.0  # the slow 5-9 s are kill-b's
    for t in range(10, 16):
        cut(tl, agg, row(float(t)), final=t == 15)
    assert agg.faults[1]["recovered"] is True and agg.faults[1]["recovery_s"] == 4.0

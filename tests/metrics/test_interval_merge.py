"""Merging several processes' snapshots of one interval equals one recorder fed every event."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.metrics.interval_merge import Gauges, merge_interval
from loadpulse.metrics.recorder import Recorder

Event = tuple[str, int, int]  # request name, latency µs, status


def _feed(rec: Recorder, events: list[Event]) -> None:
    for name, lat, status in events:
        r = rec.for_name(name)
        r.lat.append(lat)
        r.status.append(status)
    rec.for_scenario("default").iterations += len(events)


events = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 5_000_000), st.sampled_from([200, 404, 500])),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(events, min_size=1, max_size=4))
def test_merged_workers_equal_one_recorder_fed_everything(parts: list[list[Event]]) -> None:
    one = Recorder()
    _feed(one, [e for part in parts for e in part])
    whole = one.cut(1_000_000_000)
    snaps, gauges = [], {}
    for i, part in enumerate(parts):
        rec = Recorder()
        _feed(rec, part)
        snap = rec.cut(1_000_000_000)
        gauges[i] = Gauges()
        gauges[i].read(snap)
        snaps.append(snap)
    merged = merge_interval(0, 0, 1_000_000_000, snaps, gauges)
    assert set(merged.names) == set(whole.names)
    for name, stats in whole.names.items():
        got = merged.names[name]
        assert (got.requests, got.ok, got.failed, got.statuses) == (
            stats.requests,
            stats.ok,
            stats.failed,
            stats.statuses,
        )
        assert got.latency == stats.latency
    assert merged.scenarios["default"].iterations == whole.scenarios["default"].iterations


def test_gauges_are_each_workers_latest_summed() -> None:
    first, second = Recorder(), Recorder()
    first.for_scenario("s").vus = 3
    second.for_scenario("s").vus = 5
    a1, b = first.cut(1), second.cut(1)
    first.for_scenario("s").vus = 4
    a2 = first.cut(2)  # worker 1 sent two snapshots before this merge: its latest counts, once
    gauges = {1: Gauges(), 2: Gauges()}
    for g, snap in ((gauges[1], a1), (gauges[2], b), (gauges[1], a2)):
        g.read(snap)
    assert merge_interval(0, 0, 2, [a1, b, a2], gauges).scenarios["s"].vus == 9
    # a worker whose snapshot is late still counts with its last reading; a gone one with none
    assert merge_interval(1, 2, 3, [], gauges).scenarios["s"].vus == 9
    gauges[2].clear()
    assert merge_interval(2, 3, 4, [], gauges).scenarios["s"].vus == 4

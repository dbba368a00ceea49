"""Scenario-side metrics, probes and tags: recorded, cut, shipped (msgpack) and merged by addition."""

from __future__ import annotations

import msgpack
import pytest

from loadpulse.metrics.aggregate import Aggregate, ProbeStats
from loadpulse.metrics.histogram import Histogram
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.protocols.http.status import http_status_kind


def recorded() -> Recorder:
    rec = Recorder()
    n = rec.for_name("create", http_status_kind)
    n.lat.extend([1000, 2000, 3000])
    n.status.extend([200, 200, 503])
    rec.for_tag("kind", "write").lat.append(1500)
    sc = rec.for_scenario("ingest")
    sc.iterations += 3
    sc.duration.extend([4000, 5000, 6000])
    sc.script_error("KeyError at s.py:3")
    sc.vus = 7
    m = rec.metrics
    m.check("ok", True)
    m.check("ok", False)
    m.declare("sent", "counter")
    m.add_counter("sent", 2.5)
    m.declare("q", "trend")
    m.add_trend("q", 12.25)
    m.declare("hit", "rate")
    m.add_rate("hit", True)
    m.add_rate("hit", False)
    rec.probes.update({"queue": 4.0})
    return rec


def test_snapshot_round_trips_through_msgpack_with_everything() -> None:
    snap = recorded().cut(1_000_000_000, 2, 3)
    back = Snapshot.from_dict(msgpack.unpackb(msgpack.packb(snap.to_dict()), strict_map_key=False))
    assert back.scenarios["ingest"].iterations == 3 and back.scenarios["ingest"].vus == 7
    assert back.scenarios["ingest"].script_errors == {"KeyError at s.py:3": 1}
    assert back.checks == {"ok": [1, 1]}
    assert back.metrics["sent"].value == 2.5 and back.metrics["hit"].true == 1
    assert back.metrics["q"].hist.max == 12.25  # trends are exact (issue 10, item 12)
    assert back.probes == {"queue": 4.0} and back.tags["kind=write"].latency.total == 1


def test_a_cut_empties_the_recorder() -> None:
    rec = recorded()
    rec.cut(1_000_000_000)
    snap = rec.cut(2_000_000_000)
    assert "create" not in snap.names and not snap.tags and snap.checks == {"ok": [0, 0]}
    assert snap.scenarios["ingest"].iterations == 0 and snap.probes == {}
    assert snap.metrics["sent"].value == 0.0


def test_aggregate_merges_scenarios_checks_metrics_tags_and_probes() -> None:
    agg = Aggregate()
    for second in (1, 2):
        rec = recorded()
        rec.probes["queue"] = float(second * 10)
        agg.add(rec.cut(second * 1_000_000_000))
    assert agg.scenarios["ingest"].iterations == 6 and agg.vus == 7  # VUs are a gauge, not a sum
    assert agg.checks["ok"] == [2, 2] and agg.metrics["sent"].value == 5.0
    assert agg.tags["kind=write"].latency.total == 2
    assert agg.total.requests == 6  # tagged copies are not in the totals
    assert (agg.probes["queue"].first, agg.probes["queue"].last, agg.probes["queue"].growth) == (
        10.0,
        20.0,
        1.0,
    )
    assert agg.series[-1].probes == {"queue": 20.0} and agg.series[-1].checks_failed == 1


def test_probe_stats() -> None:
    empty = ProbeStats()
    assert empty.avg is None and empty.growth is None and empty.to_dict()["min"] is None
    p = ProbeStats()
    for v in (4.0, 2.0, 6.0):
        p.add(v)
    assert (p.min, p.max, p.avg, p.growth) == (2.0, 6.0, 4.0, 0.5)


def test_metric_kind_conflicts_are_errors() -> None:
    rec = Recorder()
    rec.metrics.declare("x", "counter")
    with pytest.raises(ValueError, match="already a counter"):
        rec.metrics.declare("x", "trend")


def test_histogram_count_le_and_bins() -> None:
    h = Histogram.of([100, 200, 1_000, 5_000, 20_000])
    assert h.count_le([150, 1_000, 10_000, 100_000]) == [1, 3, 4, 5]
    edges, counts = h.binned(10)
    assert len(edges) == 10 and sum(counts) == 5 and edges[0] == 100
    assert Histogram.empty().binned() == ([], [])

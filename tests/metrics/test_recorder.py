from __future__ import annotations

import msgpack

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.protocols.http.status import http_status_kind


def _record(rec: Recorder, name: str, latencies: list[int], statuses: list[int]) -> None:
    r = rec.for_name(name, http_status_kind)
    for lat, status in zip(latencies, statuses, strict=True):
        r.lat.append(lat)
        r.ttfb.append(lat // 2)
        r.status.append(status)


def test_cut_counts_statuses_and_errors_and_empties_buffers() -> None:
    rec = Recorder()
    _record(rec, "a", [100, 200, 300, 400], [200, 201, 404, 503])
    rec.for_name("a").error("reset")
    rec.dropped = 3
    snap = rec.cut(1_000_000_000)
    a = snap.names["a"]
    assert (a.requests, a.ok, a.failed) == (5, 2, 3)
    assert a.statuses == {200: 1, 201: 1, 404: 1, 503: 1}
    assert a.errors == {"reset": 1, "http_4xx": 1, "http_5xx": 1}
    assert a.latency.total == 4 and a.service.total == 4  # closed model: service time is the latency
    assert snap.dropped == 3
    r = rec.for_name("a")
    assert len(r.lat) == len(r.status) == len(r.ttfb) == 0 and not r.errors  # bounded memory
    nxt = rec.cut(2_000_000_000)
    assert nxt.start_ns == 1_000_000_000 and nxt.dropped == 0
    assert "a" not in nxt.names  # an idle name costs nothing in an interval


def test_snapshot_survives_msgpack_and_aggregates_by_addition() -> None:
    rec = Recorder()
    _record(rec, "a", [1000] * 10, [200] * 10)
    _record(rec, "b", [5000] * 5, [500] * 5)
    snap = rec.cut(1_000_000_000, in_flight=2, connections=4)
    wire = msgpack.packb(snap.to_dict())
    back = Snapshot.from_dict(msgpack.unpackb(wire, strict_map_key=False))
    assert back.to_dict() == snap.to_dict()

    agg = Aggregate()
    row = agg.add(back)
    agg.add(back)
    assert agg.total.requests == 30 and agg.names["b"].failed == 10
    assert row.requests == 15 and row.rate == 15.0 and row.errors == {"http_5xx": 5}
    assert row.in_flight == 2 and row.connections == 4
    assert len(agg.series) == 2


def test_snapshot_from_newer_version_is_refused() -> None:
    import pytest

    snap = Recorder().cut(1).to_dict()
    snap["version"] = 99
    with pytest.raises(ValueError, match="version 99"):
        Snapshot.from_dict(snap)

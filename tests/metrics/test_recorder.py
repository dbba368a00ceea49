from __future__ import annotations

import msgpack

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.interval_merge import merge_interval
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


def test_connection_ends_are_errors_of_their_kind_but_no_requests_and_add_up_across_processes() -> None:
    procs = [Recorder(), Recorder()]
    for rec in procs:
        feed = rec.for_name("feed")
        feed.done += 2  # two handshakes
        feed.end("ws_abnormal")  # one of the connections dropped later, nobody waiting on it
        feed.error("ws_abnormal")  # the other cut a request short: that one is a failed request
    snaps = [
        Snapshot.from_dict(msgpack.unpackb(msgpack.packb(r.cut(1).to_dict()), strict_map_key=False))
        for r in procs
    ]
    one = snaps[0].names["feed"]
    assert (one.requests, one.ok, one.failed) == (3, 2, 1)
    assert one.errors == {"ws_abnormal": 2} and one.connection_errors == {"ws_abnormal": 1}
    agg = Aggregate()
    row = agg.add(merge_interval(0, 0, 1, snaps, {}))
    assert (agg.total.requests, agg.total.failed) == (6, 2)
    assert agg.total.errors == {"ws_abnormal": 4} and agg.total.connection_errors == {"ws_abnormal": 2}
    assert row.errors == {"ws_abnormal": 4} and row.failed == 2
    assert procs[0].for_name("feed").ends == {} and not procs[0].for_name("feed").active
    plain = Recorder()
    plain.for_name("GET /").done += 1
    assert "connection_errors" not in plain.cut(1).to_dict()["names"]["GET /"]  # shipped only when some

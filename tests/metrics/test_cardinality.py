"""Memory bounded by settings, not by how many distinct names a script makes up."""

from __future__ import annotations

import msgpack
import pytest

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.cardinality import MAX_EXAMPLES, OTHER, Cap, Overflow
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot


def hit(rec: Recorder, name: str, status: int = 200) -> None:
    r = rec.for_name(name)
    r.lat.append(1000)
    r.status.append(status)


def test_names_past_the_cap_share_one_other_entry() -> None:
    rec = Recorder(max_names=3)
    for i in range(50):
        hit(rec, f"GET /item/{i}")
    snap = rec.cut(1_000_000_000)
    assert sorted(snap.names) == [OTHER, "GET /item/0", "GET /item/1", "GET /item/2"]
    assert snap.names[OTHER].requests == 47
    assert sum(s.requests for s in snap.names.values()) == 50  # nothing lost
    over = snap.overflow["names"]
    assert (over.distinct, over.cap) == (50, 3)
    assert over.examples == [f"GET /item/{i}" for i in range(3, 3 + MAX_EXAMPLES)]
    assert len(rec.names) == 4  # the recorder itself holds cap + 1 entries, whatever the URL space


def test_a_name_kept_before_the_cap_stays_its_own_entry() -> None:
    rec = Recorder(max_names=2)
    for name in ("a", "b", "c", "a", "d", "b"):
        hit(rec, name)
    snap = rec.cut(1)
    assert {k: v.requests for k, v in snap.names.items()} == {"a": 2, "b": 2, OTHER: 2}
    assert snap.overflow["names"].distinct == 4


def test_only_names_that_recorded_something_appear_in_an_interval() -> None:
    rec = Recorder()
    hit(rec, "a")
    hit(rec, "b")
    rec.for_tag("kind", "read").lat.append(5)
    assert sorted(rec.cut(1).names) == ["a", "b"]
    hit(rec, "b")
    snap = rec.cut(2)
    assert list(snap.names) == ["b"] and snap.tags == {}
    rec.for_name("a").error("reset")  # an error alone is activity
    assert list(rec.cut(3).names) == ["a"]


def test_tag_values_past_the_cap_are_grouped_per_key() -> None:
    rec = Recorder(max_tags=2)
    for i in range(10):
        rec.for_tag("user", str(i)).lat.append(100)
    rec.for_tag("kind", "write").lat.append(100)
    snap = rec.cut(1)
    assert sorted(snap.tags) == ["kind=(other)", "user=(other)", "user=0", "user=1"]
    assert snap.tags["user=(other)"].latency.total == 8
    assert snap.overflow["tags"].distinct == 11


def test_check_and_metric_names_past_the_cap_are_grouped() -> None:
    rec = Recorder(max_custom=2)
    m = rec.metrics
    for i in range(5):
        m.check(f"order {i} ok", i % 2 == 0)
        m.declare(f"sent {i}", "counter")
        m.add_counter(f"sent {i}", 1.0)
    m.declare("latency 9", "trend")
    m.add_trend("latency 9", 3.0)
    snap = rec.cut(1)
    assert snap.checks == {"order 0 ok": [1, 0], "order 1 ok": [0, 1], OTHER: [2, 1]}
    assert snap.metrics["(other counters)"].value == 3.0 and snap.metrics["sent 1"].value == 1.0
    assert snap.metrics["(other trends)"].hist.total == 1
    assert snap.overflow["checks"].distinct == 5 and snap.overflow["metrics"].distinct == 6


def test_overflow_survives_the_wire_and_old_snapshots_still_read() -> None:
    rec = Recorder(max_names=1)
    hit(rec, "GET /item/1")
    hit(rec, "GET /item/2")
    snap = rec.cut(1)
    back = Snapshot.from_dict(msgpack.unpackb(msgpack.packb(snap.to_dict()), strict_map_key=False))
    assert back.overflow == snap.overflow and back.to_dict() == snap.to_dict()
    plain = Recorder().cut(1).to_dict()
    assert "overflow" not in plain and Snapshot.from_dict(plain).overflow == {}


def test_aggregate_warns_once_with_a_name_template_across_processes() -> None:
    agg = Aggregate()
    for proc in range(2):
        rec = Recorder(max_names=10)
        for i in range(proc * 100, proc * 100 + 3412):
            hit(rec, f"GET /item/{i}", 404)
        for t in range(1, 4):
            agg.add(rec.cut(t * 1_000_000_000))
    assert len(agg.names) <= 2 * 11
    warnings = agg.warnings()
    assert warnings == [
        "3,412 distinct request names; past the first 10 the rest are grouped under '(other)' — "
        "use name= to group URLs, e.g. name='GET /item/{id}'"
    ]
    assert agg.overflow["names"].examples[:2] == ["GET /item/10", "GET /item/11"]
    assert len(agg.overflow["names"].examples) == MAX_EXAMPLES
    assert Aggregate().warnings() == []


def test_overflow_merge_keeps_the_largest_count_and_few_examples() -> None:
    a = Overflow(10, 5, ["x", "y"])
    a.merge(Overflow(7, 5, ["y", "z", "1", "2", "3", "4"]))
    assert a.distinct == 10 and a.examples == ["x", "y", "z", "1", "2"]


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Cap(0)


def test_status_classification_comes_from_the_protocol() -> None:
    grpc_kinds = {4: "grpc_deadline", 14: "grpc_unavailable"}

    def grpc_status_kind(code: int) -> str | None:
        return grpc_kinds.get(code, "grpc_error" if code else None)

    rec = Recorder()
    r = rec.for_name("Greeter/SayHello", grpc_status_kind)
    for code in (0, 0, 4, 14, 14, 2):
        r.lat.append(100)
        r.status.append(code)
    rec.for_tag("region", "eu", r).status.extend([0, 14])
    plain = rec.for_name("no classifier")
    plain.status.extend([500, 404])
    snap = rec.cut(1)
    s = snap.names["Greeter/SayHello"]
    assert s.errors == {"grpc_deadline": 1, "grpc_unavailable": 2, "grpc_error": 1}
    assert (s.requests, s.ok, s.failed) == (6, 2, 4)
    assert snap.tags["region=eu"].errors == {"grpc_unavailable": 1}  # the tag mirrors its request's protocol
    assert snap.names["no classifier"].failed == 0  # without a classifier a status is just a status

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.tracking import Tracker

MS = 1_000_000
S = 1_000_000_000


def sent_items(n: int, prefix: str = "p", step_ns: int = MS) -> tuple[Tracker, list[str]]:
    t = Tracker(prefix)
    ids = [t.new_id(i * step_ns) for i in range(n)]
    for item in ids:
        t.accepted(item)
    return t, ids


def test_everything_delivered_once() -> None:
    t, ids = sent_items(10)
    r = Reconciler([t])
    r.observe(Observation(i, 100 * MS) for i in ids)
    res = r.result(200 * MS)
    assert (res.sent, res.delivered, res.lost, res.duplicates, res.unexpected) == (10, 10, 0, 0, 0)
    assert res.drained


def test_lost_items_are_counted_with_the_first_ids_in_send_order() -> None:
    t, ids = sent_items(100)
    r = Reconciler([t], ReconcileSettings(max_ids=20))
    r.observe(Observation(i, S) for i in ids[:50])
    res = r.result(2 * S)
    assert res.lost == 50 and res.loss_rate == 0.5
    assert list(res.lost_ids) == ids[50:70]
    assert res.to_dict()["lost"] == {"count": 50, "rate": 0.5}


def test_duplicates_count_once_as_delivered() -> None:
    t, ids = sent_items(3)
    r = Reconciler([t])
    r.observe([Observation(ids[0], S), Observation(ids[0], S), Observation(ids[1], S)])
    r.observe([Observation(ids[0], 2 * S)])
    res = r.result(3 * S)
    assert (res.delivered, res.duplicates, res.lost) == (2, 2, 1)
    assert res.duplicate_ids == (ids[0],)


def test_unexpected_ids_are_counted_once_each_with_examples() -> None:
    t, ids = sent_items(1)
    r = Reconciler([t], ReconcileSettings(max_ids=2))
    seen: list[str | int] = ["a", "b", "a", "c", "p-5", 7, ids[0]]
    r.observe(Observation(x, S) for x in seen)
    res = r.result(S)
    assert res.unexpected == 5  # a, b, c, p-5 (never generated), 7
    assert res.unexpected_ids == ("a", "b")
    assert res.delivered == 1


def test_rejected_items_are_apart_from_sent_and_lost() -> None:
    t = Tracker("p")
    ok, failed = t.new_id(0), t.new_id(0)
    t.accepted(ok)
    t.rejected(failed)
    r = Reconciler([t])
    res = r.result(S)
    assert (res.sent, res.rejected, res.lost, res.lost_ids) == (1, 1, 1, (ok,))
    r.observe([Observation(failed, S)])  # stored although its request failed: not unexpected
    assert r.result(S).unexpected == 0
    counted = Reconciler([t], ReconcileSettings(count_rejected=True)).result(S)
    assert (counted.sent, counted.lost) == (2, 2)


def test_system_assigned_keys_are_reconciled_like_generated_ids() -> None:
    t = Tracker("p")
    for key in ("job-1", 2, "job-3"):
        t.accepted(t.track(key, 0))
    r = Reconciler([t])
    r.observe([Observation(b"job-1", S), Observation(2, S)])
    res = r.result(S)
    assert (res.delivered, res.lost, res.lost_ids) == (2, 1, ("job-3",))


def test_e2e_latency_runs_to_the_persist_time_when_the_sink_gives_one() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    anchor = ClockAnchor(mono_ns=10 * S, wall_s=start.timestamp())
    t = Tracker("p")
    a, b = t.new_id(10 * S), t.new_id(10 * S)
    t.accepted(a)
    t.accepted(b)
    r = Reconciler([t], anchor=anchor)
    r.observe([Observation(a, 20 * S, at=start.timestamp() + 0.250)])  # persisted 250 ms after send
    r.observe([Observation(b, 20 * S)])  # no persist time: first seen, at the poll 10 s later
    res = r.result(30 * S)
    assert res.e2e.min_us == 250_000 and res.e2e.max_us == 10_000_000
    assert res.to_dict()["e2e_basis"] == {"persist_time": 1, "first_seen": 1}
    assert res.to_dict()["e2e_ms"]["max"] == 10_000.0


def test_a_persist_time_needs_the_anchor() -> None:
    t, ids = sent_items(1)
    with pytest.raises(ValueError, match="clock anchor"):
        Reconciler([t]).observe([Observation(ids[0], S, at=1.7e9)])


def test_out_of_order_counts_items_arriving_after_a_later_sent_one() -> None:
    t, ids = sent_items(4)  # sent at 0, 1, 2, 3 ms
    r = Reconciler([t])
    r.observe([Observation(ids[2], 10 * MS), Observation(ids[0], 11 * MS), Observation(ids[1], 12 * MS)])
    r.observe([Observation(ids[3], 13 * MS)])
    assert r.result(S).out_of_order == 2


def test_items_arriving_together_are_not_out_of_order() -> None:
    t, ids = sent_items(3)
    r = Reconciler([t])
    r.observe(Observation(i, S) for i in reversed(ids))
    assert r.result(S).out_of_order == 0


def test_drain_runs_from_load_end_to_the_last_arrival() -> None:
    t, ids = sent_items(2)
    r = Reconciler([t])
    assert r.result(S).drain_s is None
    r.load_ended(5 * S)
    r.observe([Observation(ids[0], 4 * S)])
    undrained = r.result(9 * S)
    assert not undrained.drained and undrained.drain_s == 4.0  # still waiting: the time waited
    r.observe([Observation(ids[1], 7 * S)])
    drained = r.result(9 * S)
    assert drained.drained and drained.drain_s == 2.0


def test_intervals_give_deliveries_and_backlog() -> None:
    t, ids = sent_items(10)
    r = Reconciler([t])
    r.observe(Observation(i, S) for i in ids[:4])
    first = r.cut(S)
    r.observe(Observation(i, 2 * S) for i in ids[4:9])
    second = r.cut(2 * S)
    assert (first.delivered, first.backlog, second.delivered, second.backlog) == (4, 6, 5, 1)
    assert r.result(3 * S).intervals == (first, second)


def test_workers_and_fairness() -> None:
    t, ids = sent_items(8)
    r = Reconciler([t], ReconcileSettings(workers=3))
    r.observe(Observation(item, S, worker=n % 2) for n, item in enumerate(ids))
    r.observe([Observation(ids[0], S, worker=1)])  # a duplicate counts for no worker
    res = r.result(S)
    assert res.by_worker == {"0": 4, "1": 4}
    assert res.fairness_pct == pytest.approx(100.0)  # the third worker did nothing
    even = Reconciler([t])
    even.observe(Observation(item, S, worker=f"w{n % 4}") for n, item in enumerate(ids))
    assert even.result(S).fairness_pct == 0.0


def test_items_unchanged_in_a_non_final_status_are_stuck() -> None:
    t, ids = sent_items(3)
    r = Reconciler([t], ReconcileSettings(stuck_after_ns=10 * S))
    r.observe(Observation(i, S, status="RUNNING") for i in ids)
    r.observe([Observation(ids[0], 5 * S, status="RUNNING")])  # unchanged: still stuck since 1 s
    r.observe([Observation(ids[1], 8 * S, status="retrying")])  # changed: the clock restarts
    r.observe([Observation(ids[2], 9 * S, status="done")])
    res = r.result(12 * S)
    assert (res.stuck, res.stuck_ids) == (1, (ids[0],))
    assert (res.delivered, res.in_progress, res.lost) == (1, 2, 0)
    assert not res.drained


def test_items_a_failing_sink_could_not_check_are_unverified_not_lost() -> None:
    t, ids = sent_items(4)
    r = Reconciler([t])
    r.observe(Observation(i, S) for i in ids[:1])
    r.sink_failed()
    res = r.result(2 * S)
    assert (res.lost, res.unverified, res.lost_ids) == (0, 3, ())
    r.observe(Observation(i, 3 * S) for i in ids[1:2])  # the sink answers again
    assert (r.result(3 * S).lost, r.result(3 * S).unverified) == (2, 0)


def test_trackers_of_several_processes_and_a_grown_copy() -> None:
    a, ids_a = sent_items(2, "p0")
    b, ids_b = sent_items(2, "p1")
    r = Reconciler([a, b])
    r.observe([Observation(ids_a[0], S), Observation(ids_b[1], S)])
    more = b.new_id(5)
    b.accepted(more)
    r.add_tracker(b)  # the process shipped its tracker again
    r.observe([Observation(more, S)])
    res = r.result(S)
    assert (res.sent, res.delivered, res.lost_ids) == (5, 3, (ids_a[1], ids_b[0]))


def test_to_dict_has_the_summary_json_keys_and_is_json() -> None:
    t, ids = sent_items(2)
    r = Reconciler([t])
    r.observe([Observation(ids[0], S, worker="w1")])
    d = r.result(S).to_dict()
    for key in ("sent", "delivered", "lost", "duplicates", "unexpected", "rejected", "e2e_ms", "drain_s",
                "by_worker", "fairness_pct", "stuck", "lost_ids"):  # fmt: skip
        assert key in d
    assert set(d["e2e_ms"]) == {"p50", "p90", "p95", "p99", "max"}
    assert json.loads(json.dumps(d)) == d
    empty = Reconciler([Tracker("q")]).result(0).to_dict()
    assert empty["e2e_ms"]["p95"] is None and empty["fairness_pct"] is None


@pytest.mark.parametrize(
    ("obs", "message"),
    [
        (Observation(1.5, S), "item id must be a str, int or bytes, not float"),  # type: ignore[arg-type]
        (Observation(None, S), "not NoneType"),  # type: ignore[arg-type]
        (Observation("p-0", -1), "observed_ns must not be negative"),
        (Observation("p-0", S, worker=2.5), "worker must be"),  # type: ignore[arg-type]
        (Observation("p-0", S, status=3), "status must be text"),  # type: ignore[arg-type]
    ],
)
def test_bad_observations_are_refused_and_change_nothing(obs: Observation, message: str) -> None:
    t, ids = sent_items(2)
    r = Reconciler([t])
    with pytest.raises(ValueError, match=message):
        r.observe([Observation(ids[0], S), obs])
    assert r.result(S).delivered == 0


@pytest.mark.parametrize("call", ["cut", "result", "load_ended"])
def test_negative_times_are_refused(call: str) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        getattr(Reconciler(), call)(-5)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_ids"):
        ReconcileSettings(max_ids=0)
    with pytest.raises(ValueError, match="stuck_after_ns"):
        ReconcileSettings(stuck_after_ns=-1)


def test_items_tracked_after_the_last_observation_grow_the_reconciler_too() -> None:
    """VUs keep tracking while a poll reconciles in its thread: the tracker can outgrow what the reconciler
    sized at its last observation, and results and later sightings must still add up (a run once lost
    every poll of its load to a shape mismatch here)."""
    t = Tracker("p")
    r = Reconciler([t])
    first = [t.new_id(1) for _ in range(10)]
    for item in first:
        t.accepted(item)
    r.observe([Observation(first[0], 2 * MS)])
    more = [t.new_id(2) for _ in range(5000)]  # past the reconciler's initial room (1,024)
    for item in more:
        t.accepted(item)
    assert r.result(3 * MS).sent == 5010 and r.result(3 * MS).delivered == 1
    r.cut(3 * MS)
    r.observe([Observation(more[-1], 4 * MS)])
    assert r.result(5 * MS).delivered == 2


def test_an_item_stored_before_its_id_was_tracked_is_delivered_not_unexpected() -> None:
    """A system that assigns ids can store an item before its answer reaches the VU that tracks it: the
    sighting waits (up to the grace) for the id to be tracked."""
    t = Tracker("p")
    r = Reconciler([t], ReconcileSettings(unmatched_grace_ns=5 * S))
    r.observe([Observation("job-1", 1 * S, worker="w1")])
    assert r.result(1 * S).unexpected == 1  # for now
    t.accepted(t.track("job-1", 1 * S - 10 * MS))
    r.observe([Observation("other", 2 * S)])
    res = r.result(2 * S)
    assert (res.sent, res.delivered, res.lost, res.unexpected) == (1, 1, 0, 1)
    assert res.unexpected_ids == ("other",) and res.by_worker == {"w1": 1}


def test_an_id_never_tracked_is_unexpected_after_the_grace_and_counted_once() -> None:
    t = Tracker("p")
    r = Reconciler([t], ReconcileSettings(unmatched_grace_ns=1 * S, max_unmatched=2))
    r.observe([Observation("x", 1 * S), Observation("y", 1 * S), Observation("z", 1 * S)])  # z: past the cap
    r.observe([Observation("w", 5 * S)])  # x and y waited past the grace
    t.accepted(t.track("x", 4 * S))  # too late to match a sighting already judged
    res = r.result(5 * S)
    assert res.unexpected == 4 and set(res.unexpected_ids) == {"x", "y", "z", "w"}
    assert res.delivered == 0 and res.lost == 1


def test_a_status_changed_in_place_is_one_delivery_and_the_same_status_again_a_duplicate() -> None:
    """A re-read sink reports a row again when its status changes ("stored" -> "done"): that is the same
    delivery. The same final status seen twice is a second copy."""
    t, ids = sent_items(2)
    r = Reconciler([t])
    r.observe([Observation(ids[0], 10 * MS, status="stored"), Observation(ids[1], 10 * MS, status="done")])
    r.observe([Observation(ids[0], 20 * MS, status="done"), Observation(ids[1], 20 * MS, status="done")])
    res = r.result(30 * MS)
    assert (res.delivered, res.duplicates, res.duplicate_ids, res.failed) == (2, 1, (ids[1],), 0)


def test_failed_items_arrived_but_are_not_delivered_until_a_retry_succeeds() -> None:
    t, ids = sent_items(3)
    r = Reconciler([t])
    r.observe(Observation(i, 10 * MS, status="FAILED") for i in ids)
    r.observe([Observation(ids[0], 20 * MS, status="retrying")])  # in progress again: still failed so far
    r.observe([Observation(ids[0], 30 * MS, status="failed"), Observation(ids[1], 30 * MS, status="ok")])
    r.load_ended(40 * MS)
    res = r.result(50 * MS)
    assert (res.sent, res.delivered, res.failed, res.lost, res.duplicates) == (3, 1, 2, 0, 0)
    assert set(res.failed_ids) == {ids[0], ids[2]} and res.drained
    assert res.to_dict()["failed"] == {"count": 2, "ids": list(res.failed_ids)}


def test_after_a_worker_is_lost_unmatched_sightings_are_its_not_unexpected() -> None:
    """Items a lost worker sent after its last shipped delta never reach the coordinator: sink rows
    that match nothing are counted apart (unmatched_of_lost_workers), not as unexpected."""
    t, ids = sent_items(2)
    r = Reconciler([t], ReconcileSettings(unmatched_grace_ns=S))
    r.observe([Observation("before", S)])  # before the loss: unexpected as ever
    r.observe([Observation("early", 2 * S)])  # waiting out its grace when the worker is lost
    r.lost_workers = True
    r.observe([Observation(ids[0], 3 * S), Observation("x1", 3 * S), Observation("x2", 3 * S)])
    r.observe([Observation("x3", 9 * S)])  # the others' grace is over: x1, x2 and early are settled
    res = r.result(9 * S)
    assert (res.delivered, res.unexpected) == (1, 1) and res.unexpected_ids == ("before",)
    assert r.unmatched_of_lost_workers() == 4  # early, x1, x2 settled; x3 still waiting

"""A worker's tracker shipped in deltas: the coordinator's mirror ends up holding exactly what it holds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.pipeline.reconcile import Observation, Reconciler
from loadpulse.pipeline.shipping import TrackShipper, apply_delta
from loadpulse.pipeline.tracking import Tracker

# One step of a worker's run: a generated id (settled or not), a system key, settling an open one, or a cut.
STEP = st.one_of(
    st.tuples(st.just("new"), st.sampled_from([None, True, False])),
    st.tuples(st.just("key"), st.integers(0, 40)),
    st.tuples(st.just("settle"), st.booleans()),
    st.tuples(st.just("sent_at"), st.integers(0, 10**6)),
    st.tuples(st.just("ship"), st.none()),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=120))
def test_the_mirror_is_the_tracker_after_the_last_delta(steps: list[tuple[str, object]]) -> None:
    worker = Tracker("w1")
    mirror = Tracker("w1")
    shipper = TrackShipper(worker)
    open_slots: list[int] = []
    unset: list[str] = []
    clock = 1_000
    for kind, arg in steps:
        clock += 7
        if kind == "new":
            if arg is None:
                item = worker.new_id()
                unset.append(item)
                open_slots.append(worker.slot(item) or 0)
            else:
                slot = worker.new_slot(clock)
                worker.settle(slot, bool(arg))
        elif kind == "key":
            _, slot = worker.track_slot(f"key-{arg}", clock)
            open_slots.append(slot)
        elif kind == "settle" and open_slots:
            worker.settle(open_slots.pop(0), bool(arg))
        elif kind == "sent_at" and unset:
            worker.sent_at(unset.pop(), int(str(arg)))
        elif kind == "ship":
            delta = shipper.take()
            if delta is not None:
                apply_delta(mirror, delta)
    delta = shipper.take()
    if delta is not None:
        apply_delta(mirror, delta)
    assert len(mirror) == len(worker)
    assert np.array_equal(mirror.sent_ns, worker.sent_ns)
    assert np.array_equal(mirror.states, worker.states)
    assert mirror.repeated == worker.repeated
    for slot in range(len(worker)):
        assert mirror.id_of(slot) == worker.id_of(slot)
        assert mirror.slot(worker.id_of(slot)) == slot


def test_a_reconciler_on_two_mirrors_judges_the_whole_run() -> None:
    workers = [Tracker("w1"), Tracker("w2")]
    mirrors = [Tracker("w1"), Tracker("w2")]
    shippers = [TrackShipper(t) for t in workers]
    ids = []
    for t in workers:
        for _ in range(3):
            slot = t.new_slot(100)
            t.settle(slot, True)
            ids.append(t.generated_id(slot))
    for shipper, mirror in zip(shippers, mirrors, strict=True):
        delta = shipper.take()
        assert delta is not None and delta.items == 3
        apply_delta(mirror, delta)
        assert shipper.take() is None  # nothing changed since
    reconciler = Reconciler(mirrors)
    # One item of the second worker never arrives, one of the first arrives twice.
    seen = [*ids[:5], ids[0]]
    reconciler.observe([Observation(item, 500) for item in seen])
    result = reconciler.result(600)
    assert (result.sent, result.delivered, result.lost, result.duplicates) == (6, 5, 1, 1)
    assert result.lost_ids == (ids[5],)


def test_a_delta_out_of_order_is_refused() -> None:
    worker = Tracker("w1")
    shipper = TrackShipper(worker)
    worker.new_slot(1)
    first = shipper.take()
    worker.new_slot(2)
    second = shipper.take()
    assert first is not None and second is not None
    with pytest.raises(ValueError, match="one was lost"):
        apply_delta(Tracker("w1"), second)


def test_a_sighting_before_its_workers_delta_waits_for_it() -> None:
    """A sink may show an item before the coordinator has its worker's delta: the sighting waits (as a
    system-assigned id does) and counts as delivered once the mirror grows, not as unexpected."""
    worker = Tracker("w1")
    shipper = TrackShipper(worker)
    first = worker.new_slot(100)
    worker.settle(first, True)
    mirror = Tracker("w1")
    apply_delta(mirror, shipper.take())  # type: ignore[arg-type]
    reconciler = Reconciler([mirror])
    late = worker.new_slot(200)
    worker.settle(late, True)
    reconciler.observe([Observation(worker.generated_id(late), 300)])  # its delta is not in yet
    assert reconciler.result(300).delivered == 0
    apply_delta(mirror, shipper.take())  # type: ignore[arg-type]
    reconciler.add_tracker(mirror)  # what PipelineCheck does at its next poll after a delta
    reconciler.observe([])
    result = reconciler.result(400)
    assert (result.sent, result.delivered, result.unexpected) == (2, 1, 0)


def test_a_key_tracked_again_after_its_slot_shipped_ships_its_new_outcome() -> None:
    worker, mirror = Tracker("w1"), Tracker("w1")
    shipper = TrackShipper(worker)
    _, slot = worker.track_slot("job-1", 100)
    worker.settle(slot, True)
    delta = shipper.take()
    assert delta is not None
    apply_delta(mirror, delta)
    _, again = worker.track_slot("job-1", 200)  # the same key sent once more: its first slot, settled anew
    assert again == slot
    worker.settle(again, False)
    delta = shipper.take()
    assert delta is not None and delta.updated.tolist() == [slot]
    apply_delta(mirror, delta)
    assert np.array_equal(mirror.states, worker.states) and mirror.repeated == worker.repeated == 1
    assert shipper.take() is None  # nothing changed since

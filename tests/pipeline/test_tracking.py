from __future__ import annotations

import json
import pickle
import re
import tracemalloc
from urllib.parse import quote

import numpy as np
import pytest

from loadpulse.pipeline.reconcile import Observation, Reconciler
from loadpulse.pipeline.tracking import ACCEPTED, PENDING, REJECTED, UNSET, Tracker


def test_generated_ids_are_unique_short_url_and_json_safe() -> None:
    t = Tracker("r7k2p0")
    ids = [t.new_id(sent_ns=i) for i in range(5000)]
    assert len(set(ids)) == 5000
    for item in ids:
        assert re.fullmatch(r"r7k2p0-[0-9a-f]+", item)
        assert quote(item, safe="") == item
        assert json.loads(json.dumps(item)) == item
    assert max(len(i) for i in ids) <= len("r7k2p0-") + 4


def test_ids_of_two_processes_never_collide() -> None:
    a, b = Tracker("run1_p0"), Tracker("run1_p1")
    ids_a = {a.new_id(0) for _ in range(1000)}
    ids_b = {b.new_id(0) for _ in range(1000)}
    assert not ids_a & ids_b
    assert all(b.slot(i) is None for i in ids_a)


def test_ids_map_back_to_their_send_time() -> None:
    t = Tracker("p")
    first, second = t.new_id(10), t.new_id(20)
    key = t.track("job-42", 30)
    assert [t.slot(first), t.slot(second), t.slot(key)] == [0, 1, 2]
    assert t.sent_ns.tolist() == [10, 20, 30]


def test_numpy_times_are_taken() -> None:
    t = Tracker("p")
    t.new_id(np.int64(7))  # type: ignore[arg-type]
    t.track("k", np.int64(8))  # type: ignore[arg-type]
    assert t.sent_ns.tolist() == [7, 8]


def test_send_time_can_be_set_after_the_id_is_made() -> None:
    t = Tracker("p")
    item = t.new_id()
    assert t.sent_ns[0] == UNSET
    t.sent_at(item, 1_000)
    assert t.sent_ns[0] == 1_000


def test_only_accepted_items_are_sent_and_failed_ones_rejected() -> None:
    t = Tracker("p")
    ok, failed, in_flight = t.new_id(1), t.new_id(2), t.new_id(3)
    t.accepted(ok)
    t.rejected(failed)
    assert t.outcomes.tolist() == [ACCEPTED, REJECTED, PENDING]
    assert (t.count(ACCEPTED), t.count(REJECTED), t.count(PENDING)) == (1, 1, 1)
    assert in_flight


def test_system_assigned_keys_accept_text_ints_and_bytes() -> None:
    t = Tracker("p")
    assert t.track(123, 5) == "123"
    assert t.track(b"abc", 5) == "abc"
    t.accepted(123)
    t.accepted(b"abc")
    assert t.count(ACCEPTED) == 2


def test_a_repeated_key_keeps_its_first_send_time() -> None:
    t = Tracker("p")
    t.track("k", 5)
    t.track("k", 9)
    assert len(t) == 1 and t.repeated == 1 and t.sent_ns[0] == 5


def test_a_key_shaped_like_a_generated_id_stays_a_key() -> None:
    t = Tracker("p")
    t.new_id(0)
    key = t.track("p-1", 7)  # slot 1 holds this key, so "p-1" must not read as generated slot 1
    assert t.slot(key) == 1
    assert t.generated_slot("1") is None
    assert t.id_of(1) == "p-1"


@pytest.mark.parametrize("tail", ["01", "A", "0x1", "_1", "", "1 ", "ff"])
def test_only_the_exact_generated_form_is_recognised(tail: str) -> None:
    t = Tracker("p")
    t.new_id(0)
    t.new_id(0)
    assert t.slot(f"p-{tail}") is None


@pytest.mark.parametrize("prefix", ["", "has-dash", "sp ace", "é", "x" * 33])
def test_a_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        Tracker(prefix)


@pytest.mark.parametrize("key", [None, 1.5, True, [1], ""])
def test_an_unknown_key_type_is_refused(key: object) -> None:
    with pytest.raises(ValueError, match="item id"):
        Tracker("p").track(key, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-5, 1.0, "10"])
def test_a_bad_send_time_is_refused(bad: object) -> None:
    t = Tracker("p")
    with pytest.raises(ValueError, match="sent_ns"):
        t.new_id(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sent_ns"):
        t.track("k", bad)  # type: ignore[arg-type]


def test_outcomes_of_an_unknown_id_are_refused() -> None:
    t = Tracker("p")
    with pytest.raises(ValueError, match="not tracked"):
        t.accepted("p-0")
    with pytest.raises(ValueError, match="not tracked"):
        t.rejected("other-0")


def test_a_tracker_travels_between_processes() -> None:
    t = Tracker("p", capacity=2)
    ids = [t.new_id(i) for i in range(5)] + [t.track("k", 9)]
    t.accepted(ids[0])
    copy = pickle.loads(pickle.dumps(t))
    assert [copy.slot(i) for i in ids] == list(range(6))
    assert copy.outcomes.tolist() == t.outcomes.tolist()
    assert copy.sent_ns.tolist() == t.sent_ns.tolist()


def test_a_million_generated_ids_cost_well_under_64_mb_reconciled_too() -> None:
    tracemalloc.start()
    try:
        t = Tracker("r0p0")
        for i in range(1_000_000):
            t.new_id(i)
        tracked, peak = tracemalloc.get_traced_memory()
        r = Reconciler([t])
        r.observe([Observation("r0p0-0", 5)])  # sizes the reconciler's byte per item
        reconciled = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(t) == 1_000_000 and r.result(10).delivered == 0  # none accepted: nothing counts as sent
    assert tracked < 64 * 2**20 and peak < 64 * 2**20
    assert reconciled - tracked < 4 * 2**20


def test_system_assigned_keys_cost_less_than_a_dict_of_them() -> None:
    keys = [f"{i:036d}" for i in range(100_000)]  # the length of a UUID's text
    tracemalloc.start()
    try:
        t = Tracker("r0p0")
        for i, key in enumerate(keys):
            t.track(key, i)
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert current < 100_000 * 150  # a dict[str, int] of fresh key texts took 157 B per key

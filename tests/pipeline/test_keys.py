from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.pipeline import keys
from loadpulse.pipeline.keys import KeyTable


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), max_size=300), st.lists(st.text(max_size=12), max_size=30))
def test_every_key_added_is_found_with_its_order_and_nothing_else(added: list[str], other: list[str]) -> None:
    table = KeyTable(capacity=4)  # small, so the table grows several times
    order: dict[str, int] = {}
    for key in added:
        ordinal, new = table.add(key)
        assert new == (key not in order)
        order.setdefault(key, ordinal)
        assert ordinal == order[key]
    assert len(table) == len(order)
    for key, ordinal in order.items():
        assert table.get(key) == ordinal and table.key(ordinal) == key
    for key in other:
        if key not in order:
            assert table.get(key) is None


def test_keys_with_the_same_digest_stay_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "_digest", lambda data: 7)
    table = KeyTable()
    names = [f"job-{i}" for i in range(100)]  # all collide: found by their text through growth
    assert [table.add(n) for n in names] == [(i, True) for i in range(100)]
    assert [table.get(n) for n in names] == list(range(100))
    assert table.get("job-100") is None


def test_a_table_travels_between_processes() -> None:
    table = KeyTable()
    for i in range(500):
        table.add(f"k{i}")
    copy = pickle.loads(pickle.dumps(table))
    assert [copy.get(f"k{i}") for i in range(500)] == list(range(500))
    assert copy.key(499) == "k499"


def test_unusual_text_round_trips() -> None:
    table = KeyTable()
    for key in ("é", "\ud800", "a\x00b", "😀" * 10):
        table.add(key)
        assert table.key(table.get(key) or 0) == key

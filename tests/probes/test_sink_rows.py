"""Sink rows: normalized from ids, mappings and JSON; a re-read reports only what it had not reported."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.probes.sink_rows import BadRow, ReadDiff, SinkRow, row_from


@pytest.mark.parametrize(
    ("value", "row"),
    [
        ("a1", SinkRow("a1")),
        (17, SinkRow("17")),
        (b"b2", SinkRow("b2")),
        (uuid.UUID(int=5), SinkRow("00000000-0000-0000-0000-000000000005")),
        ({"id": 3, "worker": 2, "at": 1700000000, "status": "done"}, SinkRow("3", 1700000000.0, "2", "done")),
        (b'{"id": "x", "at": "1700000000.5", "worker": "w1"}', SinkRow("x", 1700000000.5, "w1")),
        ('{"id": "y", "at": "2026-11-23T10:00:00Z"}', SinkRow("y", "2026-11-23T10:00:00Z")),
        ({"id": "z", "at": Decimal("1700000000.25")}, SinkRow("z", 1700000000.25)),
        ({"id": "t", "at": datetime(2026, 1, 1, tzinfo=UTC)}, SinkRow("t", datetime(2026, 1, 1, tzinfo=UTC))),
        ({"id": "n", "at": None, "worker": None}, SinkRow("n")),
    ],
)  # fmt: skip
def test_rows_are_normalized(value: object, row: SinkRow) -> None:
    assert row_from(value) == row


def test_a_default_at_fills_only_a_missing_one() -> None:
    assert row_from("a", 5.0) == SinkRow("a", 5.0)
    assert row_from({"id": "a", "at": 7}, 5.0) == SinkRow("a", 7.0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"worker": "w"}, "an entry has no 'id' (its fields: worker)"),
        ({"id": None}, "an entry has no 'id'"),
        ({"id": 1.5}, "an id must be text or an integer, not float"),
        ({"id": True}, "an id must be text or an integer, not bool"),
        ("", "an id is empty"),
        (b"\xff", "an id in bytes is not UTF-8 text"),
        ("{not json", "an entry starting with '{' is not valid JSON"),
        ({"id": "a", "at": True}, "'at' must be epoch seconds"),
        ({"id": "a", "at": [1]}, "'at' must be epoch seconds, ISO 8601 text or a timestamp, not list"),
    ],
)
def test_entries_that_are_not_items_say_why(value: object, problem: str) -> None:
    with pytest.raises(BadRow, match=re.escape(problem)):
        row_from(value)


def test_a_re_read_reports_each_row_once_and_each_duplicate() -> None:
    diff = ReadDiff()
    a, b = SinkRow("a", 1.0, "w1"), SinkRow("b", 2.0, "w2")
    assert diff.new_rows([a, b]) == [a, b]
    assert diff.new_rows([b, a]) == []
    assert diff.new_rows([a, b, a]) == [a]  # a stored a second time: a duplicate delivery
    assert diff.new_rows([a, a, b]) == []
    done = SinkRow("b", 3.0, "w2", "done")
    assert diff.new_rows([a, a, done]) == [done]  # a status change is a new sighting
    assert diff.new_rows([a]) == []  # a read that no longer holds a row forgets nothing
    assert len(diff) == 2


def test_identical_rows_in_one_read_are_two_sightings() -> None:
    row = SinkRow("a", 1.0)
    assert ReadDiff().new_rows([row, row]) == [row, row]


def test_an_incremental_diff_keeps_only_the_last_read() -> None:
    diff = ReadDiff(forget_absent=True)
    a, b, c = SinkRow("a", 1.0), SinkRow("b", 2.0), SinkRow("c", 2.0)
    assert diff.new_rows([a, b]) == [a, b]
    assert diff.new_rows([b, c]) == [c]  # b at the boundary read again: not reported twice
    assert len(diff) == 2  # a is behind the bound and forgotten


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from(["done", "ok", None])), max_size=6),
        max_size=12,
    )
)
def test_compacting_the_read_diff_changes_nothing(reads: list[list[tuple[str, str | None]]]) -> None:
    """Ids moved into the sorted arrays (here after every 3) answer exactly as the dict did."""
    import loadpulse.probes.sink_rows as sink_rows

    small, plain = ReadDiff(), ReadDiff()
    saved = sink_rows.COMPACT_AT
    try:
        for read in reads:
            rows = [SinkRow(i, None, None, s) for i, s in read]
            sink_rows.COMPACT_AT = 3
            got = small.new_rows(rows)
            sink_rows.COMPACT_AT = 10**9
            assert got == plain.new_rows(rows)
    finally:
        sink_rows.COMPACT_AT = saved

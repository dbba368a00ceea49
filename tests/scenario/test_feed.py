"""Test-data feeds: modes, workers' disjoint shares, reading past the sparse index's checkpoints."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadpulse.profiles.segment import Segment
from loadpulse.scenario.ctx import Ctx
from loadpulse.scenario.feed import Feed, FeedExhausted, feed, worker_share
from loadpulse.scenario.feed_file import STRIDE


def _csv(tmp_path: Path, n: int, name: str = "users.csv", blank_every: int = 0) -> Path:
    lines = ["id,email"]
    for i in range(n):
        lines.append(f"{i},user{i}@example.com")
        if blank_every and i % blank_every == 0:
            lines.append("")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _ctx(vu: int) -> Ctx:
    return cast(Ctx, SimpleNamespace(vu=SimpleNamespace(id=vu)))


def _drain(data: Feed) -> list[Any]:
    rows = []
    while True:
        try:
            rows.append(data.next())
        except FeedExhausted:
            return rows


def test_once_hands_each_row_to_one_call_in_file_order_then_runs_out(tmp_path: Path) -> None:
    data = feed(_csv(tmp_path, 3))
    assert data.columns == ("id", "email") and len(data) == 3
    assert [data.next() for _ in range(3)] == [
        {"id": "0", "email": "user0@example.com"},
        {"id": "1", "email": "user1@example.com"},
        {"id": "2", "email": "user2@example.com"},
    ]
    with pytest.raises(FeedExhausted, match=r"users\.csv ran out: all 3 row\(s\) used once each.*cycle"):
        data.next()
    with pytest.raises(FeedExhausted):  # and stays out
        data.next(_ctx(1))


def test_cycle_starts_over_after_the_last_row(tmp_path: Path) -> None:
    data = feed(_csv(tmp_path, 3), mode="cycle")
    assert [data.next()["id"] for _ in range(7)] == ["0", "1", "2", "0", "1", "2", "0"]


def test_per_vu_gives_each_vu_its_own_row_and_keeps_it(tmp_path: Path) -> None:
    data = feed(_csv(tmp_path, 2), mode="per-vu")
    assert data.next(_ctx(7))["id"] == "0"
    assert data.next(_ctx(3))["id"] == "1"
    assert data.next(_ctx(7))["id"] == "0" and data.next(_ctx(3))["id"] == "1"
    with pytest.raises(FeedExhausted, match=r"2 row.* for VU 9.*as many rows as VUs"):
        data.next(_ctx(9))
    with pytest.raises(TypeError, match=r"per-vu: pass the task's ctx"):
        data.next()


def test_json_lines_rows_are_the_parsed_values(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text('{"id": 1, "items": [1, 2]}\n\n{"id": 2}\nnull\n')
    data = feed(path)
    assert data.columns == () and len(data) == 3
    assert [data.next() for _ in range(3)] == [{"id": 1, "items": [1, 2]}, {"id": 2}, None]


def test_per_vu_row_may_be_json_null(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text("null\n1\n")
    data = feed(path, mode="per-vu")
    assert data.next(_ctx(1)) is None and data.next(_ctx(1)) is None and data.next(_ctx(2)) == 1


def test_a_utf8_bom_and_crlf_line_ends_are_not_part_of_the_data(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname,city\r\nZoë,Köln\r\n".encode())
    data = feed(path)
    assert data.columns == ("name", "city") and data.next() == {"name": "Zoë", "city": "Köln"}


def test_a_relative_path_is_found_next_to_the_file_that_opens_the_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scn").mkdir()
    _csv(tmp_path / "scn", 1)
    helper = tmp_path / "scn" / "opener.py"
    helper.write_text("from loadpulse import feed\ndef open_it():\n    return feed('users.csv')\n")
    namespace: dict[str, Any] = {}
    exec(compile(helper.read_text(), str(helper), "exec"), namespace)
    monkeypatch.chdir(tmp_path)  # somewhere the file is not
    assert namespace["open_it"]().next()["id"] == "0"


def test_a_share_starting_past_a_checkpoint_skips_blank_lines_to_the_right_row(tmp_path: Path) -> None:
    n = 3 * STRIDE + 17
    data = feed(_csv(tmp_path, n, blank_every=5))
    data.take_share(Segment(Fraction(1, 2), Fraction(1)))
    assert len(data) == n - n // 2
    rows = _drain(data)
    assert [int(r["id"]) for r in rows] == list(range(n // 2, n))


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 40), workers=st.integers(2, 4), mode=st.sampled_from(["once", "per-vu"]))
def test_workers_never_get_the_same_row_and_together_get_every_row(
    tmp_path_factory: pytest.TempPathFactory, rows: int, workers: int, mode: str
) -> None:
    path = _csv(tmp_path_factory.mktemp("w"), rows)
    handed: list[str] = []
    for index in range(workers):
        with worker_share((index, workers)):
            data = Feed(path, mode)
        vu = 0
        while True:
            vu += 1
            try:
                handed.append(data.next(_ctx(vu))["id"])
            except FeedExhausted:
                break
    assert sorted(handed, key=int) == [str(i) for i in range(rows)]


def test_uneven_segments_tile_the_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, 10)
    segments = [Segment.parse("0:1/3"), Segment.parse("1/3:1/2"), Segment.parse("1/2:1")]
    shares = []
    for seg in segments:
        data = Feed(path)
        data.take_share(seg)
        shares.append([r["id"] for r in _drain(data)])
    assert shares == [["0", "1", "2"], ["3", "4"], ["5", "6", "7", "8", "9"]]


def test_cycle_wraps_within_the_workers_share(tmp_path: Path) -> None:
    data = Feed(_csv(tmp_path, 4), "cycle", share=(1, 2))
    assert [data.next()["id"] for _ in range(5)] == ["2", "3", "2", "3", "2"]


def test_a_worker_whose_share_is_empty_runs_out_at_once(tmp_path: Path) -> None:
    data = Feed(_csv(tmp_path, 1), "cycle", share=(0, 2))
    assert len(data) == 0
    with pytest.raises(FeedExhausted, match="share of 1"):
        data.next()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", r"empty\.csv: the data file has no rows"),
        ("blank.jsonl", "\n\n", r"blank\.jsonl: the data file has no rows"),
        ("head.csv", "id,email\n", r"head\.csv: the data file has a header and no rows"),
        ("ragged.csv", "id,email\n1,a\n2\n", r"ragged\.csv line 3: 1 field\(s\) where the header has 2"),
        ("nohead.csv", "1,2\n3,4\n", r"nohead\.csv line 1: looks like data, not a header"),
        ("gap.csv", "id,,x\n1,2,3\n", r"gap\.csv line 1: the header has an empty column name"),
        ("dup.csv", "id,id\n1,2\n", r"dup\.csv line 1: the header names column 'id' twice"),
        ("quote.csv", 'id,note\n1,"open\nrest"\n', r"quote\.csv line 2: .*fields spanning lines"),
        ("bad.jsonl", '{"a": 1}\n{"a": \n', r"bad\.jsonl line 2: invalid JSON"),
        ("latin.csv", b"id\n\xe9\n", r"latin\.csv line 2: not UTF-8"),
        ("data.txt", "x\n", r"data\.txt: unknown data format '\.txt'; use \.csv or \.jsonl"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_line(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(Exception, match=message) as info:
        feed(str(path))
    assert type(info.value).__name__ == "BadInput" and "\n" not in str(info.value)
    assert str(info.value).startswith(f"{__file__}:")  # where the feed was opened


def test_a_missing_file_and_an_unknown_mode_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"test_feed\.py:\d+: nope\.csv: data file not found"):
        feed("nope.csv")
    with pytest.raises(Exception, match=r"feed mode 'random' is not one of 'once', 'per-vu', 'cycle'"):
        feed(_csv(tmp_path, 1), mode="random")  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"worker share \(2, 2\)"):
        Feed(_csv(tmp_path, 1), share=(2, 2))


def test_a_million_row_file_is_indexed_in_a_few_kilobytes(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    rows = 5 * STRIDE
    path.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(rows)))
    data = feed(path)
    # The index keeps one offset per STRIDE rows: 1M rows cost about 8 KB, whatever their size.
    assert len(data.index.offsets) == 5 and data.index.offsets.itemsize == 8
    data.take_share((4, 5))
    assert data.next() == {"i": 4 * STRIDE}


def test_a_forked_worker_reopens_the_file_where_its_feed_stood(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = feed(_csv(tmp_path, 4))
    assert data.next()["id"] == "0"
    real = os.getpid()
    # A child process must not share (and move) its parent's file position: it opens its own handle.
    monkeypatch.setattr(os, "getpid", lambda: real + 1)
    assert [data.next()["id"] for _ in range(3)] == ["1", "2", "3"]
    assert data.used == 4


def test_a_worker_part_takes_its_segments_rows(tmp_path: Path) -> None:
    from loadpulse.profiles.worker_part import WorkerPart

    path = _csv(tmp_path, 9)
    shares = [_drain(Feed(path, share=WorkerPart.even(i, 3))) for i in range(3)]
    assert [[r["id"] for r in rows] for rows in shares] == [["0", "1", "2"], ["3", "4", "5"], ["6", "7", "8"]]

"""A script error keeps the first thing its exception said: bounded, one line, shipped and merged."""

from __future__ import annotations

import msgpack

from loadpulse.metrics.cardinality import OTHER
from loadpulse.metrics.scenario_stats import (
    MAX_MESSAGE,
    ScenarioRecorder,
    ScenarioStats,
    error_message,
)
from loadpulse.metrics.snapshot import Snapshot


class Loud(Exception):
    """Counts how often its message is asked for."""

    asked = 0

    def __str__(self) -> str:
        Loud.asked += 1
        return "loud"


class Broken(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


def test_the_message_is_one_bounded_line_with_url_passwords_redacted() -> None:
    assert error_message(AttributeError("ctx has no attribute 'htp'; did you mean ctx.http?")) == (
        "ctx has no attribute 'htp'; did you mean ctx.http?"
    )
    assert error_message(ValueError("line one\nline\ttwo")) == "line one line two"
    assert error_message(ValueError("bell\x07 esc\x1b[31m")) == "bell\\x07 esc\\x1b[31m"
    long = error_message(ValueError("x" * 100_000))
    assert len(long) == MAX_MESSAGE and long.endswith("…")
    said = error_message(ValueError("GET http://bob:hunter2@127.0.0.1/?token=abc123 failed"))
    assert "hunter2" not in said and "abc123" not in said
    assert error_message(KeyError()) == "" and error_message(Broken()) == ""


def test_the_first_message_per_key_is_kept_and_asked_once_per_interval() -> None:
    rec = ScenarioRecorder()
    Loud.asked = 0
    for _ in range(1_000):
        rec.script_error("Loud at s.py:3", Loud())
    rec.script_error("KeyError at s.py:9", KeyError("first"))
    rec.script_error("KeyError at s.py:9", KeyError("second"))
    rec.script_error("SystemExit at s.py:12", SystemExit())
    assert Loud.asked == 1  # not once per failing iteration
    stats = rec.cut()
    assert stats.script_errors == {
        "Loud at s.py:3": 1_000,
        "KeyError at s.py:9": 2,
        "SystemExit at s.py:12": 1,
    }
    assert stats.script_error_messages == {"Loud at s.py:3": "loud", "KeyError at s.py:9": "'first'"}
    assert rec.cut().script_error_messages == {}  # cut empties


def test_distinct_keys_are_capped_for_the_run_not_per_interval() -> None:
    rec = ScenarioRecorder(max_script_errors=3)
    for i in range(3):
        rec.script_error(f"E{i} at s.py:{i}", ValueError(f"m{i}"))
    first = rec.cut()
    rec.script_error("E0 at s.py:0", ValueError("again"))  # kept in an earlier interval: still its own
    rec.script_error("E7 at s.py:7", ValueError("late"))
    rec.script_error("E8 at s.py:8", ValueError("later"))
    second = rec.cut()
    assert len(first.script_errors) == 3
    assert second.script_errors == {"E0 at s.py:0": 1, OTHER: 2}
    assert second.script_error_messages[OTHER] == "E7 at s.py:7: late"  # names the error it is about


def test_merge_keeps_the_first_message_and_the_snapshot_ships_it() -> None:
    a = ScenarioStats(script_errors={"K at s.py:1": 1}, script_error_messages={"K at s.py:1": "first"})
    b = ScenarioStats(
        script_errors={"K at s.py:1": 2, "V at s.py:2": 1},
        script_error_messages={"K at s.py:1": "second", "V at s.py:2": "v"},
    )
    a.merge(b)
    assert a.script_errors == {"K at s.py:1": 3, "V at s.py:2": 1}
    assert a.script_error_messages == {"K at s.py:1": "first", "V at s.py:2": "v"}
    snap = Snapshot(seq=1, start_ns=0, end_ns=1, scenarios={"s": a})
    back = Snapshot.from_dict(msgpack.unpackb(msgpack.packb(snap.to_dict()), strict_map_key=False))
    assert back.scenarios["s"].script_error_messages == a.script_error_messages


def test_stats_written_before_messages_were_kept_still_load() -> None:
    old = ScenarioStats(script_errors={"K at s.py:1": 1}).to_dict()
    del old["script_error_messages"]
    back = ScenarioStats.from_dict(old)
    assert back.script_errors == {"K at s.py:1": 1} and back.script_error_messages == {}

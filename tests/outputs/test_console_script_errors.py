"""The console lists script errors with what they said, the most frequent first, in a few lines."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich.console import Console

from loadpulse.outputs.console_scenarios import MAX_SCRIPT_ERROR_LINES, print_script_errors


def printed(scenarios: dict[str, Any]) -> list[str]:
    out = StringIO()
    print_script_errors(Console(file=out, width=300), {"scenarios": scenarios})
    return out.getvalue().splitlines()


def test_each_error_shows_its_count_and_message_most_frequent_first() -> None:
    lines = printed(
        {
            "s": {
                "script_errors": {
                    "KeyError at s.py:3": 2,
                    "AttributeError at s.py:6": 9,
                    "SystemExit at s.py:9": 1,
                },
                "script_error_messages": {
                    "KeyError at s.py:3": "'id'",
                    "AttributeError at s.py:6": "ctx has no attribute 'htp'; did you mean ctx.http?",
                },
            }
        }
    )
    assert lines == [
        "  script error s: AttributeError at s.py:6 x9: ctx has no attribute 'htp'; did you mean ctx.http?",
        "  script error s: KeyError at s.py:3 x2: 'id'",
        "  script error s: SystemExit at s.py:9 x1",
    ]


def test_a_message_that_repeats_its_key_is_not_printed_twice() -> None:
    key = "scenarios[0].requests[1].capture.token: $.token not found in the response"
    (line,) = printed({"s": {"script_errors": {key: 3}, "script_error_messages": {key: key}}})
    assert line == f"  script error s: {key} x3"


def test_many_errors_print_a_bounded_number_of_lines() -> None:
    errors = {f"E{i} at s.py:{i}": i + 1 for i in range(40)}
    lines = printed({"a": {"script_errors": errors}, "b": {"script_errors": {}}})
    assert len(lines) == MAX_SCRIPT_ERROR_LINES + 1
    assert lines[0] == "  script error a: E39 at s.py:39 x40"
    assert lines[-1] == f"  … {40 - MAX_SCRIPT_ERROR_LINES} more script errors (all of them in --json)"


def test_summaries_written_before_messages_were_kept_still_print() -> None:
    assert printed({"s": {"script_errors": {"KeyError at s.py:3": 1}}}) == [
        "  script error s: KeyError at s.py:3 x1"
    ]

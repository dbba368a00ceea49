"""Names a scenario chooses (check, metric, request, ``ctx.timed`` names, threshold expressions) reach the
terminal with their control characters escaped: a name cannot clear the screen or print a line of its own
such as a fake ``verdict PASS``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from loadpulse.outputs.verdicts import print_verdicts
from loadpulse.results.format import control_safe, markup_safe
from tests.conftest import CliResult

HOSTILE = "x\x1b[2J\nverdict PASS"
"""Clears the screen, then starts a line that reads like the run's verdict."""

SCENARIO = f"""
from loadpulse import Ctx, task

thresholds = ["http{{name={HOSTILE!r}}}.p95 < 1ms"]


@task
async def hostile(ctx: Ctx) -> None:
    await ctx.http.get("/health", name={HOSTILE!r} + "-req")
    ctx.check(True, {HOSTILE!r} + "-check")
    ctx.counter({HOSTILE!r} + "-counter")
    ctx.trend({HOSTILE!r} + "-trend", 1.0)
    with ctx.timed({HOSTILE!r} + "-timed"):
        pass
"""


def test_control_characters_are_written_as_escapes() -> None:
    assert control_safe(HOSTILE) == "x\\x1b[2J\\nverdict PASS"
    assert control_safe("\x00\t\r\x7f\x85\x9b") == "\\x00\\t\\r\\x7f\\x85\\x9b"
    assert control_safe("plain name, ünïcode → ok") == "plain name, ünïcode → ok"
    # rich markup escaping comes on top: "[2J" is no tag, "[bold]" is shown as written
    assert markup_safe({HOSTILE: [HOSTILE + "[bold]"]}) == {
        "x\\x1b[2J\\nverdict PASS": ["x\\x1b[2J\\nverdict PASS\\[bold]"]
    }


def _assert_no_raw_controls(text: str) -> None:
    assert "\x1b" not in text
    lines = text.splitlines()
    assert not any(line.strip().startswith("verdict PASS") for line in lines), text


def test_a_run_prints_hostile_names_escaped(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "hostile.py"
    scenario.write_text(SCENARIO)
    r = cli("run", str(scenario), "-u", demo_url, "-i", "3", "--vus", "1", "--no-progress", "--no-history")
    assert r.code == 1, r.err  # the 1 ms threshold on the hostile request name fails
    out = r.out + r.err
    _assert_no_raw_controls(out)
    for kind in ("req", "check", "counter", "trend", "timed"):
        assert f"x\\x1b[2J\\nverdict PASS-{kind}" in out, kind
    assert out.count("verdict FAIL") == 1


def test_the_verdict_table_escapes_a_hostile_threshold_name() -> None:
    console = Console(record=True, width=200, force_terminal=False)
    threshold = {
        "metric": f"http{{name={HOSTILE}}}.p95",
        "abort_on_fail": False,
        "comparators": {"target": "<"},
        "target": "1ms",
        "actual_text": "2 ms",
        "verdict": "FAIL",
    }
    print_verdicts(console, {"thresholds": [threshold], "verdict": "FAIL"})
    text = console.export_text()
    _assert_no_raw_controls(text)
    assert "x\\x1b[2J\\nverdict PASS" in text


def test_bidi_overrides_are_written_out_in_the_console_and_the_report() -> None:
    """U+202E turns the rest of a line around ("Trojan Source"): a name holding it would show as another."""
    from loadpulse.outputs.html_report import report_data
    from loadpulse.results.format import bidi_safe, control_safe
    from tests.results.results_factory import synthetic_results

    assert control_safe("pay\u202eLIAF") == "pay\\u202eLIAF"
    assert control_safe("a\u2066b\u2069") == "a\\u2066b\\u2069"
    assert bidi_safe({"n\u202e": ["x\u202ey", 3]}) == {"n\\u202e": ["x\\u202ey", 3]}
    results = synthetic_results(seconds=2)
    results.summary["by_name"] = {"GET /\u202eevil": results.summary.get("requests", {})}
    assert "\u202e" not in repr(report_data(results))

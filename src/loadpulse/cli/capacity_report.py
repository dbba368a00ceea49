"""What a capacity search shows and writes: a console row per step as it finishes, the answer line, and
the ``capacity`` document (``--json``, and the data of the ``--html`` report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from loadpulse.profiles.capacity_search import (
    STOP_GENERATOR,
    STOP_UNREACHABLE,
    CapacityResult,
    StepObservation,
)
from loadpulse.results.format import markup_safe

SCHEMA = "loadpulse.capacity/1"
COLUMNS = ("step", "offered", "achieved", "p50", "p95", "p99", "errors", "time", "ended", "verdict")
WIDTHS = (4, 9, 9, 8, 8, 8, 6, 5, 11, 0)
"""Columns sized so a row with its verdict fits 100 columns; 'ended' holds 'interrupted'."""
WIDE = 100
NARROW_DROPS = ("p99", "time")
"""Under :data:`WIDE` columns (an 80-column terminal) these go, and columns are one space apart: a row
and its verdict still fit 80 (the JSON and the history keep every figure)."""


def _layout(console: Console) -> tuple[str, list[int]]:
    """The column separator and the indexes of the columns shown at this console's width."""
    if console.width >= WIDE:
        return "  ", list(range(len(COLUMNS)))
    return " ", [i for i, c in enumerate(COLUMNS) if c not in NARROW_DROPS]


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}ms" if v < 10 else f"{v:,.0f}ms"


def number(v: float | None) -> str:
    """1,840 or, under 100, three significant digits (12.5)."""
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def rate_text(rate: float | None, unit: str) -> str:
    if rate is None:
        return "-"
    return f"{rate:,.0f} VUs" if unit == "VUs" else f"{number(rate)}/s"


def header(console: Console) -> None:
    sep, shown = _layout(console)
    line = sep.join(COLUMNS[i].rjust(WIDTHS[i]) if WIDTHS[i] else COLUMNS[i] for i in shown)
    console.print(f"[bold]{line}[/]", highlight=False)


def _verdict(step: StepObservation) -> tuple[str, str]:
    """The verdict word (markup) and what explains it (plain text, may be empty)."""
    if step.ended == "interrupted":
        return "[yellow]INTERRUPTED[/]", ""
    if step.unreachable is not None:
        return "[red]UNREACHABLE[/]", ""
    if step.generator_limited is not None:
        return "[yellow]GENERATOR-LIMITED[/]", ""
    if step.passed:
        return "[green]PASS[/]", ""
    return "[red]FAIL[/]", step.limited_by or ""


def step_row(console: Console, index: int, step: StepObservation, unit: str) -> None:
    cells = (
        str(index),
        rate_text(step.rate, unit),
        rate_text(step.achieved, "/s"),
        _ms(step.p50_ms),
        _ms(step.p95_ms),
        _ms(step.p99_ms),
        f"{step.error_rate * 100:.1f}%",
        f"{step.duration_s:.0f}s",
        step.ended,
    )
    sep, shown = _layout(console)
    text = sep.join(cells[i].rjust(WIDTHS[i]) for i in shown if i < len(cells))
    word, why = _verdict(step)
    plain_word = Text.from_markup(word).plain
    # Never let the terminal wrap a row: what does not fit goes on a line of its own, under it.
    if len(text) + len(sep) + len(plain_word) + (len(why) + 1 if why else 0) <= console.width:
        console.print(f"{text}{sep}{word}" + (f" {markup_safe(why)}" if why else ""), highlight=False)
    elif len(text) + len(sep) + len(plain_word) <= console.width:
        console.print(f"{text}{sep}{word}", highlight=False)
        console.print(f"      missed {markup_safe(why)}", highlight=False)
    else:
        console.print(text, highlight=False)
        console.print(f"      {word}" + (f" {markup_safe(why)}" if why else ""), highlight=False)
    for note in (step.generator_limited, step.unreachable):
        if note is not None:
            console.print(f"      [yellow]{markup_safe(note)}[/]", highlight=False)


def answer(result: CapacityResult, unit: str) -> str:
    """The one line a person reads: the rate, its interval, what limited it."""
    lo, hi = result.ci
    if result.max_rate is None:
        if result.stopped_by == STOP_GENERATOR:
            return f"generator-limited: {result.message}"
        if result.stopped_by == STOP_UNREACHABLE:
            return f"no answer: {result.message}"
        return f"no sustainable load found: {result.message}"
    span = f"[{number(lo)}\u2013{number(hi) if hi is not None else '?'}]"
    if unit == "VUs":
        hi_step = min(
            (s.rate for s in result.steps if not s.passed and not s.generator_limited), default=None
        )
        line = f"highest sustainable load {number(result.max_rate)} VUs {span}"
        if hi_step is not None:
            line = f"breaking point: {hi_step:,.0f} VUs (highest sustainable {result.max_rate:,.0f} VUs)"
    else:
        line = f"highest sustainable rate {number(result.max_rate)} {unit} {span}"
    if result.limited_by:
        line += f", limited by {result.limited_by}"
    if result.stopped_by not in ("precision",):
        line += f" — {result.message}"
    return line


def capacity_document(
    result: CapacityResult,
    *,
    unit: str,
    search_id: str,
    started_at: str,
    target: str,
    slos: Sequence[str],
    settings: dict[str, Any],
) -> dict[str, Any]:
    lo, hi = result.ci
    return {
        "schema": SCHEMA,
        "capacity": {
            "search_id": search_id,
            "started_at": started_at,
            "target": target,
            "slos": list(slos),
            "max_rate": result.max_rate,
            "ci": [lo, hi],
            "limited_by": result.limited_by,
            "unit": unit,
            "stopped_by": result.stopped_by,
            "message": result.message,
            "settings": settings,
            "steps": [step_dict(s) for s in result.steps],
        },
    }


def step_dict(s: StepObservation) -> dict[str, Any]:
    return {
        "rate": s.rate,
        "achieved": s.achieved,
        "p50_ms": s.p50_ms,
        "p95_ms": s.p95_ms,
        "p99_ms": s.p99_ms,
        "error_rate": s.error_rate,
        "passed": s.passed,
        "generator_limited": s.generator_limited is not None,
        "generator_reason": s.generator_limited,
        "limited_by": s.limited_by,
        "duration_s": s.duration_s,
        "dropped": s.dropped,
        "ended": s.ended,
        "run_id": s.run_id,
        "miss": s.miss,
        "unreachable": s.unreachable,
    }

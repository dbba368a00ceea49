"""A comparison of two runs for people (console table) and for pull requests (Markdown).

Run-wide rows are always shown; per-name rows (one per request name or custom metric) are capped at
:data:`MAX_NAME_ROWS`, changed ones and the largest changes first, so a run with thousands of URLs gives a
readable table. ``compare --json`` keeps every row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from loadpulse.metrics.figure_text import trend_value
from loadpulse.results.format import markup_safe
from loadpulse.store.compare import IMPROVEMENT, REGRESSION, TOO_FEW, UNTESTED, Delta
from loadpulse.store.compare_custom import DECREASE, INCREASE
from loadpulse.thresholds.threshold import NUMBER
from loadpulse.thresholds.verdict import UNIT_OF, format_value

STYLE = {REGRESSION: "red", IMPROVEMENT: "green", INCREASE: "yellow", DECREASE: "yellow", TOO_FEW: "dim",
         UNTESTED: "dim"}  # fmt: skip
MAX_NAME_ROWS = 20
"""Per-name rows shown; the rest are counted on one line."""
_CHANGED = (REGRESSION, IMPROVEMENT, INCREASE, DECREASE)

_KIND_OF_UNIT = {unit: kind for kind, unit in UNIT_OF.items()}


def shown_rows(deltas: Sequence[Delta], limit: int = MAX_NAME_ROWS) -> tuple[list[Delta], int]:
    """The rows to show, in their order, and how many per-name rows were left out: every run-wide row,
    and the ``limit`` per-name rows that matter most (a verdict of change first, then the largest
    relative change)."""
    named = [d for d in deltas if d.name is not None]
    if len(named) <= limit:
        return list(deltas), 0

    def weight(d: Delta) -> tuple[bool, float]:
        change = d.change
        return d.verdict not in _CHANGED, -(math.inf if change is None else abs(change))

    kept = {id(d) for d in sorted(named, key=weight)[:limit]}
    return [d for d in deltas if d.name is None or id(d) in kept], len(named) - limit


def _value(d: Delta, v: float) -> str:
    """As the verdict lines show the same kind of figure."""
    kind = _KIND_OF_UNIT.get(d.unit)
    if kind is None and d.name is not None:
        # A custom trend, in the script's own unit: as the run's summary shows it (a *_ms name as a duration).
        return trend_value(d.name, v)
    return format_value(v, kind or NUMBER)


def _change(d: Delta) -> str:
    if d.unit == "fraction":
        return f"{(d.candidate - d.baseline) * 100:+.3f} pt"
    return f"{d.change * 100:+.1f} %" if d.change is not None else "new"


def _evidence(d: Delta) -> str:
    if d.verdict == TOO_FEW and d.samples is not None:
        return f"n = {d.samples[0]:,} vs {d.samples[1]:,}"
    if d.interval is not None:
        lo, hi = d.interval
        return f"95% CI [{lo:+.3f}, {hi:+.3f}]" + (f" {d.unit}" if d.unit else "")
    return f"p = {d.p_value:.3g}" if d.p_value is not None else ""


def print_comparison(console: Console, base_id: str, cand_id: str, deltas: Sequence[Delta]) -> None:
    console.print(f"[bold]compare[/] baseline {base_id} → candidate {cand_id}", highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("metric", "baseline", "candidate", "change", "test", "evidence", "verdict"):
        table.add_column(col, justify="left" if col in ("metric", "verdict", "test") else "right")
    rows, left_out = shown_rows(deltas)
    for d in rows:
        style = STYLE.get(d.verdict, "")
        table.add_row(
            markup_safe(d.metric),
            _value(d, d.baseline),
            _value(d, d.candidate),
            _change(d),
            d.test,
            _evidence(d),
            f"[{style}]{d.verdict}[/]" if style else d.verdict,
        )
    console.print(table)
    if left_out:
        console.print(f"… {left_out:,} more per-name rows (all of them with --json)", highlight=False)


def comparison_markdown(base_id: str, cand_id: str, deltas: Sequence[Delta]) -> str:
    regressed = [d for d in deltas if d.verdict == REGRESSION]
    icon = ":x:" if regressed else ":white_check_mark:"
    lines = [
        f"### {icon} loadpulse compare: {len(regressed)} regression{'s' if len(regressed) != 1 else ''}",
        "",
        f"baseline `{base_id}` → candidate `{cand_id}`",
        "",
        "| metric | baseline | candidate | change | evidence | verdict |",
        "|---|---|---|---|---|---|",
    ]
    rows, left_out = shown_rows(deltas)
    for d in rows:
        cells = [d.metric, _value(d, d.baseline), _value(d, d.candidate), _change(d), _evidence(d), d.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if left_out:
        lines += ["", f"… {left_out:,} more per-name rows (`loadpulse compare --json` lists them all)"]
    return "\n".join(lines) + "\n"

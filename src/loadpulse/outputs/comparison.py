"""A comparison of two runs for people (console table) and for pull requests (Markdown)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from loadpulse.store.compare import IMPROVEMENT, REGRESSION, Delta
from loadpulse.store.compare_custom import DECREASE, INCREASE

STYLE = {REGRESSION: "red", IMPROVEMENT: "green", INCREASE: "yellow", DECREASE: "yellow"}


def _value(d: Delta, v: float) -> str:
    if d.unit == "ms":
        return f"{v:.3f} ms" if v < 10 else f"{v:,.1f} ms"
    if d.unit == "fraction":
        return f"{v * 100:.3f} %"
    if d.unit == "/s":
        return f"{v:,.1f}/s"
    return f"{v:,.6g}"  # a custom trend, in the script's own unit


def _change(d: Delta) -> str:
    if d.unit == "fraction":
        return f"{(d.candidate - d.baseline) * 100:+.3f} pt"
    return f"{d.change * 100:+.1f} %" if d.change is not None else "new"


def _evidence(d: Delta) -> str:
    if d.interval is not None:
        lo, hi = d.interval
        return f"95% CI [{lo:+.3f}, {hi:+.3f}]" + (f" {d.unit}" if d.unit else "")
    return f"p = {d.p_value:.3g}" if d.p_value is not None else ""


def print_comparison(console: Console, base_id: str, cand_id: str, deltas: Sequence[Delta]) -> None:
    console.print(f"[bold]compare[/] baseline {base_id} → candidate {cand_id}", highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("metric", "baseline", "candidate", "change", "test", "evidence", "verdict"):
        table.add_column(col, justify="left" if col in ("metric", "verdict", "test") else "right")
    for d in deltas:
        style = STYLE.get(d.verdict, "")
        table.add_row(
            d.metric,
            _value(d, d.baseline),
            _value(d, d.candidate),
            _change(d),
            d.test,
            _evidence(d),
            f"[{style}]{d.verdict}[/]" if style else d.verdict,
        )
    console.print(table)


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
    for d in deltas:
        cells = [d.metric, _value(d, d.baseline), _value(d, d.candidate), _change(d), _evidence(d), d.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"

"""Console summary of a scenario run's own parts: scenarios, checks, custom metrics, script errors."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.outputs.trend_values import NO_VALUES, trend_text
from loadpulse.results.format import fmt_count, fmt_ms, fmt_number

MAX_SCRIPT_ERROR_LINES = 10
"""Script errors printed, the most frequent first; the JSON summary has them all."""


def _table(*cols: str) -> Table:
    t = Table(box=None, pad_edge=False, header_style="bold")
    for i, col in enumerate(cols):
        t.add_column(col, justify="left" if i == 0 else "right")
    return t


def print_probes(console: Console, s: dict[str, Any]) -> None:
    probes = s.get("probes") or {}
    if not probes:
        return
    t = _table("probe", "first", "last", "min", "max", "avg", "growth", "samples")
    for name, p in probes.items():
        growth = f"{p['growth'] * 100:+.1f}%" if p["growth"] is not None else ""
        t.add_row(
            name,
            *(fmt_number(p[k]) for k in ("first", "last", "min", "max", "avg")),
            growth,
            fmt_count(p["samples"]),
        )
    console.print(t)
    for name, p in probes.items():
        if p.get("by_group"):
            console.print(_groups_line(name, p["by_group"], probes.get(f"{name}.imbalance")), highlight=False)


def _groups_line(name: str, groups: dict[str, float], imbalance: dict[str, Any] | None) -> str:
    """A group probe's last sample: every group up to 10, else the 5 largest and the 5 smallest."""
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ranked if len(ranked) <= 10 else [*ranked[:5], ("…", None), *ranked[-5:]]
    cells = " · ".join(k if v is None else f"{k} {fmt_number(v)}" for k, v in shown)
    pct = imbalance.get("last") if imbalance else None
    spread = f", imbalance {pct:.1f}%" if pct is not None else ""
    return f"  {name} by group ({fmt_count(len(groups))}{spread}): {cells}"


def _profile_label(profile: dict[str, Any]) -> str:
    """'ramping-rate (stages in iterations/s)': what a stage target counts is never left to guess."""
    unit = profile.get("stage_unit")
    return f"{profile['profile']} (stages in {unit})" if unit else str(profile["profile"])


def print_scenarios(console: Console, s: dict[str, Any]) -> None:
    sc = _table("scenario", "profile", "iterations", "it/s", "p50", "p95", "dropped", "interrupted")
    for name, block in s["scenarios"].items():
        it = block["iteration_ms"]
        sc.add_row(
            name,
            _profile_label(block["profile"]),
            fmt_count(block["iterations"]),
            f"{block['iteration_rate']:,.1f}",
            fmt_ms(it["p50"]),
            fmt_ms(it["p95"]),
            fmt_count(block["dropped"]),
            fmt_count(block["interrupted"]),
        )
    console.print(sc)
    if s["checks"]:
        checks = _table("check", "passed", "failed", "rate")
        for name, c in s["checks"].items():
            style = "red" if c["failed"] else "green"
            checks.add_row(
                name,
                fmt_count(c["passed"]),
                f"[{style}]{fmt_count(c['failed'])}[/]",
                f"{c['rate'] * 100:.2f}%",
            )
        console.print(checks)
    if s["metrics"]:
        metrics = _table("metric", "kind", "value")
        for name, m in s["metrics"].items():
            if m["kind"] == "counter":
                value = f"{fmt_number(m['value'])} ({m['rate']:,.1f}/s)"
            elif m["kind"] == "rate":
                value = (
                    NO_VALUES if m["rate"] is None else f"{m['rate'] * 100:.2f}% of {fmt_count(m['total'])}"
                )
            else:
                value = trend_text(name, m)
            metrics.add_row(name, m["kind"], value)
        console.print(metrics)
    print_script_errors(console, s)


def print_script_errors(console: Console, s: dict[str, Any]) -> None:
    """One line per script error (scenario, type and line, count, first message), most frequent first.
    ``s`` is already escaped for markup (console.print_summary); control characters were escaped when the
    message was recorded (metrics.scenario_stats.error_message)."""
    found = [
        (n, name, where, block.get("script_error_messages", {}).get(where, ""))
        for name, block in s["scenarios"].items()
        for where, n in block["script_errors"].items()
    ]
    found.sort(key=lambda e: -e[0])
    for n, name, where, message in found[:MAX_SCRIPT_ERROR_LINES]:
        # A YAML flow's error names itself: its message would repeat the key.
        said = f": {message}" if message and message != where else ""
        line = f"  [red]script error[/] {name}: {where} x{fmt_count(n)}{said}"
        console.print(line, highlight=False)
    if len(found) > MAX_SCRIPT_ERROR_LINES:
        more = len(found) - MAX_SCRIPT_ERROR_LINES
        console.print(f"  … {more:,} more script errors (all of them in --json)", highlight=False)

"""The console's drift lines, from Summary JSON ``drift``: "p95 grew 38 % over the run (+2.1 ms/min,
significant)" or "p95 stable". A run too short to be tested by default prints nothing (its JSON says why)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from loadpulse.metrics.drift import MIN_EFFECT


def _num(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:+,.0f}"
    if abs(v) >= 1:
        return f"{v:+.2f}".rstrip("0").rstrip(".")
    return f"{v:+.3g}"


def slope_text(d: dict[str, Any]) -> str:
    """The slope in the series' unit per minute: '+2.1 ms/min', '+0.05 points/min', '-3/s per min'."""
    slope = d["slope_per_min"]
    unit = d.get("unit", "")
    if unit == "fraction":
        return f"{_num(slope * 100)} points/min"
    if unit == "/s":
        return f"{_num(slope)}/s per min"
    return f"{_num(slope)} {unit}/min" if unit else f"{_num(slope)}/min"


def change_text(d: dict[str, Any]) -> str:
    """How much over the run: '38 %', '2.3 points', or the absolute change from a level of 0."""
    if d["change_pct"] is not None:
        pct = abs(d["change_pct"])
        return f"{pct:,.0f} %" if pct >= 10 else f"{pct:.1f} %"
    if d.get("unit") == "fraction":
        return f"{abs(d['change']) * 100:.2f}".rstrip("0").rstrip(".") + " points"
    unit = d.get("unit", "")
    return f"{abs(d['change']):,.4g}{' ' + unit if unit and unit != '/s' else unit}"


def drift_line(key: str, d: dict[str, Any]) -> str:
    """One series' verdict as a sentence (markup; ``key`` already escaped)."""
    verdict = d["verdict"]
    if verdict == "untested":
        return f"[dim]{key} not tested: {d.get('note') or 'too few values'}[/]"
    if verdict in ("grew", "fell"):
        return (
            f"[yellow]{key} {verdict} {change_text(d)} over the run[/] "
            f"({slope_text(d)}, significant, p = {d['p_value']:.2g})"
        )
    if d["significant"]:
        floor = "0.1 point" if d.get("unit") == "fraction" else f"{MIN_EFFECT * 100:.0f} %"
        sign = "+" if d["change"] >= 0 else "-"
        said = f"{sign}{change_text(d)} over the run: significant, under the {floor} that counts"
        return f"{key} stable [dim]({said})[/]"
    sign = "+" if d["change"] >= 0 else "-"
    return f"{key} stable [dim]({sign}{change_text(d)} over the run, p = {d['p_value']:.2g})[/]"


def print_drift(console: Console, s: dict[str, Any]) -> None:
    """``s`` is the summary, already escaped for markup (console.print_summary)."""
    drift = s.get("drift")
    if not drift or not drift.get("tested"):
        return
    series = drift.get("series") or {}
    if not series:
        console.print("  drift     no series to test", highlight=False)
        return
    lines = [drift_line(key, d) for key, d in series.items() if d["verdict"] != "untested"]
    lines += _untested_lines(series)
    for i, line in enumerate(lines):
        label = "  drift     " if i == 0 else "            "
        console.print(label + line, highlight=False)


def _untested_lines(series: dict[str, Any]) -> list[str]:
    """The untested series, one line per reason: a short forced run has none of its five request series
    tested for the same reason, said once (every series untested: the keys are not listed at all)."""
    by_note: dict[str, list[str]] = {}
    for key, d in series.items():
        if d["verdict"] == "untested":
            by_note.setdefault(d.get("note") or "too few values", []).append(key)
    if len(by_note) == 1 and len(next(iter(by_note.values()))) == len(series) > 1:
        return [f"[dim]not tested: {next(iter(by_note))}[/]"]
    return [f"[dim]{', '.join(keys)} not tested: {note}[/]" for note, keys in by_note.items()]

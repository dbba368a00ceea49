"""Faults on the console (issue 13): a line as each one starts, ends or is recovered from while the run goes,
and the summary's table of every fault (Summary JSON ``faults``) with its recovery time and its impact.

The table fits an 80-column terminal: names and targets are cut (the JSON keeps them whole), the window is
``start-end`` in seconds from the load's start, and a fault the run never recovered from says so in red.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.results.format import NO_DATA, fmt_count, fmt_ms, markup_safe

MAX_NAME_SHOWN = 15
"""Characters of a fault's name (and target) in the table; the JSON keeps them whole."""
MAX_FAULTS_SHOWN = 20
"""Rows of the table: past it the ones never recovered from, then the slowest recoveries."""
MAX_DETAIL_SHOWN = 120


def _short(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    # ``text`` is markup-escaped: a cut right after an escaping backslash would escape the closing tag.
    return text[: most - 1].rstrip("\\") + "…"


def _seconds(t: float) -> str:
    return f"{t:.1f}s" if t < 100 else f"{t:.0f}s"


def window(f: dict[str, Any]) -> str:
    """``at 5.0s`` for a kill (it ends when it starts), ``10.0-14.0s`` for a fault that lasts."""
    start, end = f["start_s"], f["end_s"]
    if end is None:
        return f"from {_seconds(start)}"
    if end - start < 0.05:
        return f"at {_seconds(start)}"
    return f"{start:.1f}-{_seconds(end)}"


def recovery_text(f: dict[str, Any]) -> str:
    """The recovery time in colour: green when the run's objectives held again, red when never, yellow
    when it could not be measured (``recovered: null``: the settling window did not fit; its warning
    below the table says why), with the tentative time when it was healthy until then."""
    if f.get("recovered") and f.get("recovery_s") is not None:
        return f"[green]{_recovery(f['recovery_s'])}[/]"
    if "recovered" in f and f["recovered"] is None:
        since = f.get("recovery_s")
        return "[yellow]n/m[/]" if since is None else f"[yellow]~{_recovery(since)}?[/]"
    return "[red]never[/]"


def _recovery(seconds: float) -> str:
    if seconds <= 0:
        return "0 s"  # nothing noticed it
    return fmt_ms(seconds * 1000) if seconds < 1 else f"{seconds:.1f} s"


def _errors(impact: dict[str, Any]) -> str:
    n = impact.get("errors") or 0
    if not n:
        return "0"
    rate = impact.get("error_rate") or 0.0
    return f"[red]{fmt_count(n)}[/] ({100 * rate:.1f}%)" if rate else f"[red]{fmt_count(n)}[/]"


def _shown(faults: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Every fault in time order; past MAX_FAULTS_SHOWN the ones never recovered from and the slowest."""
    if len(faults) <= MAX_FAULTS_SHOWN:
        return faults, 0

    def weight(f: dict[str, Any]) -> tuple[bool, float]:
        return (bool(f.get("recovered")), -(f.get("recovery_s") or 0.0))

    kept = sorted(faults, key=weight)[:MAX_FAULTS_SHOWN]
    return sorted(kept, key=lambda f: f["start_s"]), len(faults) - MAX_FAULTS_SHOWN


def print_faults(console: Console, s: dict[str, Any]) -> None:
    """The ``faults`` block of summary ``s``; nothing for a run without faults. ``s`` is already escaped
    for markup (console.print_summary): names, targets and details are printed as they were given."""
    faults: list[dict[str, Any]] = s.get("faults") or []
    if not faults:
        return
    never = [f for f in faults if f.get("recovered") is False or "recovered" not in f]
    unmeasured = len(faults) - len(never) - sum(1 for f in faults if f.get("recovered"))
    recoveries = [f["recovery_s"] for f in faults if f.get("recovered") and f.get("recovery_s") is not None]
    line = f"  faults    {len(faults)} injected"
    if recoveries:
        line += f"  [bold]recovery max {_recovery(max(recoveries))}[/]"
    if never:
        line += f"  [red]{len(never)} never recovered[/]"
    if unmeasured:
        line += f"  [yellow]{unmeasured} not measurable (window too short)[/]"
    console.print(line, highlight=False)
    # One space between columns keeps the table inside 80 columns with every figure whole.
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for col in ("fault", "kind", "target", "when", "recovery", "errors", "p99"):
        right = col in ("recovery", "errors", "p99")
        table.add_column(col, justify="right" if right else "left", no_wrap=True, overflow="ellipsis")
    rows, hidden = _shown(faults)
    for f in rows:
        impact = f.get("impact") or {}
        name = _short(f["name"], MAX_NAME_SHOWN)
        table.add_row(
            name if f.get("recovered") is not False else f"[red]{name}[/]",
            f["kind"],
            _short(f.get("target") or NO_DATA, MAX_NAME_SHOWN),
            window(f),
            recovery_text(f),
            _errors(impact),
            fmt_ms(impact.get("p99_ms")),
        )
    console.print(table)
    if hidden:
        console.print(
            f"  [dim]… {fmt_count(hidden)} more faults, recovered soonest; every one is in the JSON "
            "summary (--json)[/]",
            highlight=False,
        )
    for f in faults:
        for warning in f.get("warnings") or []:
            text = _short(warning, MAX_DETAIL_SHOWN)
            console.print(f"  [yellow]{_short(f['name'], MAX_NAME_SHOWN)}: {text}[/]", highlight=False)


PHASE_STYLE = {"start": "magenta", "end": "cyan", "recovered": "green", "warning": "yellow"}


def fault_line(name: str, kind: str, phase: str, t_s: float, detail: str, ended_at: float | None) -> str:
    """The line printed above the progress line when a fault changes, as console markup. ``ended_at``:
    when the fault ended, for a recovery's time."""
    name = markup_safe(name)
    detail = markup_safe(_short(detail, MAX_DETAIL_SHOWN))
    style = PHASE_STYLE.get(phase, "yellow")
    at = f"{t_s:6.1f}s"
    if phase == "start":
        what = f"fault [bold]{name}[/] ({kind}) started" + (f": {detail}" if detail else "")
    elif phase == "end":
        what = f"fault [bold]{name}[/] ended" + (f": {detail}" if detail else "")
    elif phase == "recovered":
        # Said only once the settling window after it held, seconds later: the line tells when it
        # recovered instead of standing in the timeline's order at that time.
        took = (
            f" after {_recovery(t_s - ended_at)}"
            if ended_at is not None
            else (f" {detail}" if detail else "")
        )
        at = " " * len(at)
        what = f"fault [bold]{name}[/] recovered at {t_s:.1f}s{took and f' ({took.strip()})'}"
    else:
        what = f"fault [bold]{name}[/]: {detail}"
    return f"[{style}]{at}  {what}[/]"

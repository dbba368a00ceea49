"""Console summary of a multi-process run: one row per worker (Summary JSON ``workers``), so an uneven
split, a saturated generator or a lost worker is visible at the end of the run."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.results.format import NO_DATA, fmt_count

MAX_WORKERS_SHOWN = 16
"""Workers listed: past it the busiest and the idlest half each (imbalance is about the extremes), and every
lost worker."""
MAX_WHY_SHOWN = 160
"""Characters of a lost worker's reason shown (under the table: in its row it would widen it past 100
columns); the JSON keeps it whole."""
MAX_LOST_SHOWN = 5
"""Lost workers whose reason is spelled out; every one is in the summary's warnings and the JSON."""
SATURATED_CPU_PCT = 90.0
"""Above it a worker's numbers may be limited by the generator (the same line as the summary's warning)."""


def _short(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    # ``text`` is markup-escaped: a cut right after an escaping backslash would escape the closing tag.
    return text[: most - 1].rstrip("\\") + "…"


def imbalance_pct(per_worker: list[dict[str, Any]]) -> float | None:
    """The largest deviation of a worker's requests from its share of all the workers' requests, in % of
    that share, to 0.1. Lost workers are left out (their shortfall is the loss, reported on its own);
    None with fewer than two workers to compare or no requests."""
    alive = [w for w in per_worker if w["state"] != "lost" and w["share"]]
    total = sum(w["requests"] for w in alive)
    shares = sum(w["share"] for w in alive)
    if len(alive) < 2 or not total:
        return None
    deviations = [abs(w["requests"] / (total * w["share"] / shares) - 1) * 100.0 for w in alive]
    return round(float(max(deviations)), 1)


def workers_imbalance(workers: dict[str, Any]) -> float | None:
    """The summary's ``workers.imbalance_pct`` (the coordinator's, judged scenario by scenario); for a
    summary written before it had one, :func:`imbalance_pct` of its rows."""
    if "imbalance_pct" in workers:
        value = workers["imbalance_pct"]
        return None if value is None else float(value)
    return imbalance_pct(workers["per_worker"])


def _shown(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The busiest and the idlest rows, with every lost worker among the idlest; and how many are left out."""
    if len(rows) <= MAX_WORKERS_SHOWN:
        return rows, [], 0
    half = MAX_WORKERS_SHOWN // 2
    by_requests = sorted(rows, key=lambda w: (-w["requests"], w["index"]))
    top, rest = by_requests[:half], by_requests[half:]
    lost = [w for w in rest if w["state"] == "lost"]
    others = [w for w in rest if w["state"] != "lost"]
    idlest = others[len(others) - max(0, half - len(lost)) :]
    bottom = sorted([*idlest, *lost], key=lambda w: (-w["requests"], w["index"]))
    return top, bottom, len(rows) - len(top) - len(bottom)


def _row(w: dict[str, Any], total: int, count: int) -> list[str]:
    state = (
        f"[red]lost at {w.get('lost_at_s') or 0:.1f} s[/]"
        if w["state"] == "lost"
        else "[dim]not started[/]"  # a run stopped while its workers set up
        if w["state"] in ("starting", "ready")
        else "ok"
    )
    cpu = w["cpu_pct"]
    cpu_text = NO_DATA if cpu is None else f"{cpu:.0f}%"
    if cpu is not None and cpu > SATURATED_CPU_PCT:
        cpu_text = f"[yellow]{cpu_text}[/]"
    rss = w.get("max_rss_mb")
    name = f"{w['index']} of {count}"
    return [
        f"[red]{name}[/]" if w["state"] == "lost" else name,
        state,
        fmt_count(w["requests"]),
        f"{100 * w['requests'] / total:.1f}%" if total else NO_DATA,
        f"{100 * w['share']:.1f}%",
        fmt_count(w["iterations"]),
        fmt_count(w["dropped"]),
        cpu_text,
        NO_DATA if rss is None else f"{rss:.0f} MB",
    ]


def print_workers(console: Console, s: dict[str, Any]) -> None:
    """The ``workers`` block of summary ``s``; nothing for a single-process run. ``s`` is already escaped
    for markup (console.print_summary): a worker's error is printed as it was raised."""
    workers = s.get("workers")
    if not workers or not workers.get("per_worker"):
        return
    rows: list[dict[str, Any]] = workers["per_worker"]
    total = sum(w["requests"] for w in rows)
    count = workers["count"]
    table = Table(box=None, pad_edge=False, header_style="bold")
    # "req share": of the requests made; "planned": its part of the load (per_worker[].share in the JSON).
    for col in (
        "worker",
        "state",
        "requests",
        "req share",
        "planned",
        "iterations",
        "dropped",
        "CPU",
        "peak mem",
    ):
        table.add_column(col, justify="left" if col in ("worker", "state") else "right")
    top, bottom, hidden = _shown(rows)
    for w in top:
        table.add_row(*_row(w, total, count))
    if hidden:
        table.add_row(f"[dim]… {fmt_count(hidden)} more[/]", "[dim]between the busiest and the idlest[/]")
    for w in bottom:
        table.add_row(*_row(w, total, count))
    imbalance = workers_imbalance(workers)
    lost = len(workers.get("lost") or [])
    one, many = ("actor", "actors") if workers["backend"] == "ray" else ("process", "processes")
    line = f"  workers   {count} {one if count == 1 else many} ({workers['backend']})"
    if imbalance is not None:
        line += f"  [bold]imbalance {imbalance:.1f}%[/] (largest deviation from a worker's share)"
    if lost:
        line += f"  [red]{lost} lost[/]"
    console.print(line, highlight=False)
    console.print(table)
    lost_rows = [w for w in rows if w["state"] == "lost"]
    for w in lost_rows[:MAX_LOST_SHOWN]:
        why = _short(w.get("lost_why") or "no reason given", MAX_WHY_SHOWN)
        console.print(
            f"  [red]worker {w['index']} lost at {w.get('lost_at_s') or 0:.1f} s: {why}[/]", highlight=False
        )
    if len(lost_rows) > MAX_LOST_SHOWN:
        more = len(lost_rows) - MAX_LOST_SHOWN
        console.print(
            f"  [red]… {fmt_count(more)} more lost workers (every one is in the warnings)[/]", highlight=False
        )

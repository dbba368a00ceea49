"""Console summary of the pipeline check: what was sent against what arrived (Summary JSON ``pipeline``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from loadpulse.results.format import NO_DATA, fmt_count, fmt_ms

MAX_WORKERS_SHOWN = 10
"""Workers listed: past it the busiest and the idlest half each, since fairness is about the extremes."""
MAX_IDS_SHOWN = 5
"""Lost (and stuck) ids listed; the JSON summary has up to 20."""
MAX_NAME_SHOWN = 48
"""Characters of an id or worker name shown (the JSON keeps them whole)."""


def _count(label: str, n: int, bad: bool) -> str:
    text = f"{label} {fmt_count(n)}"
    return f"[red]{text}[/]" if bad and n else text


def _short(text: str, most: int = MAX_NAME_SHOWN) -> str:
    """An id or worker name as the system wrote it, cut so one hostile 5,000-character name cannot fill
    the summary (the Summary JSON keeps it whole)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _ids(ids: list[str], total: int) -> str:
    shown = ", ".join(_short(i) for i in ids[:MAX_IDS_SHOWN])
    return shown + (f" … ({fmt_count(total)} in all)" if total > min(len(ids), MAX_IDS_SHOWN) else "")


def _basis(basis: dict[str, int]) -> str:
    at, seen = basis.get("persist_time", 0), basis.get("first_seen", 0)
    if seen and at:
        return f"  [dim]({fmt_count(at)} to the persist time, {fmt_count(seen)} to the poll that saw them)[/]"
    if seen:
        return "  [dim](to the poll that first saw each item)[/]"
    return "  [dim](to the persist time)[/]" if at else ""


def _drain(p: dict[str, Any]) -> str:
    if p["drain_s"] is None:
        return f"drain     {NO_DATA} (the load had not ended)"
    if p.get("drained"):
        if not p["sent"]:
            return f"drain     {NO_DATA} (nothing was sent)"
        return f"drain     {fmt_ms(p['drain_s'] * 1000)} (load end to the last arrival)"
    in_progress = p.get("in_progress", 0)
    failed = (p.get("failed") or {}).get("count", 0)
    unseen = max(0, p["sent"] - p["delivered"] - in_progress - failed)
    after = fmt_ms(p["drain_s"] * 1000)
    waiting = [f"{fmt_count(unseen)} never seen"] if unseen else []
    if in_progress:
        waiting.append(f"{fmt_count(in_progress)} still in progress")
    return f"drain     [red]not drained after {after}[/] ({', '.join(waiting) or 'still waiting'})"


def _workers(p: dict[str, Any]) -> str | None:
    by_worker: dict[str, int] = p["by_worker"]
    if not by_worker:
        return None
    rows = sorted(by_worker.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(rows) > MAX_WORKERS_SHOWN:
        half = MAX_WORKERS_SHOWN // 2
        more = len(rows) - MAX_WORKERS_SHOWN
        shown = [*rows[:half], (f"… {fmt_count(more)} more …", None), *rows[-half:]]
    else:
        shown = [(name, n) for name, n in sorted(rows)]
    text = "  ".join(name if n is None else f"{_short(name)} {fmt_count(n)}" for name, n in shown)
    fairness = p["fairness_pct"]
    if fairness is not None:
        text += f"  [bold]fairness {fairness:.1f}%[/] off an even share"
    return f"workers   {text}"


def print_pipeline(console: Console, s: dict[str, Any]) -> None:
    """The ``pipeline`` block of summary ``s``, nothing when the run had no sink. ``s`` is already escaped
    for markup (console.print_summary): ids and worker names are printed as the sink wrote them."""
    p = s.get("pipeline")
    if not p:
        return
    lost = p["lost"]
    counts = [
        f"sent {fmt_count(p['sent'])}",
        f"delivered {fmt_count(p['delivered'])}",
        _count("lost", lost["count"], True) + (f" ({lost['rate'] * 100:.2f}%)" if lost["count"] else ""),
        _count("duplicates", p["duplicates"]["count"], True),
        f"unexpected {fmt_count(p['unexpected']['count'])}",
        f"rejected {fmt_count(p['rejected'])}",
    ]
    failed = (p.get("failed") or {}).get("count", 0)
    if failed:
        counts.insert(2, _count("failed", failed, True))
    if p.get("in_progress"):
        # Seen, but never in a final status by the end: neither delivered nor lost (stuck ones among them).
        counts.append(f"[yellow]in progress {fmt_count(p['in_progress'])}[/]")
    if p.get("unverified"):
        counts.append(
            f"[yellow]unverified {fmt_count(p['unverified'])} "
            "(not checked: sink failed or hung, or wait stopped)[/]"
        )
    lines = ["pipeline  " + "  ".join(counts)]
    e2e = p["e2e_ms"]
    lines.append(
        "e2e       "
        + "  ".join(f"{k} {fmt_ms(e2e[k])}" for k in ("p50", "p95", "p99", "max"))
        + _basis(p.get("e2e_basis") or {})
    )
    lines.append(_drain(p))
    workers = _workers(p)
    if workers:
        lines.append(workers)
    if p["stuck"]["count"]:
        lines.append(f"[red]stuck[/]     {_ids(p['stuck']['ids'], p['stuck']['count'])}")
    if lost["count"] and p["lost_ids"]:
        lines.append(f"[red]lost ids[/]  {_ids(p['lost_ids'], lost['count'])}")
    for line in lines:
        console.print("  " + line, highlight=False)

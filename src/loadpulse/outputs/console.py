"""The end-of-run console summary, rendered from Summary JSON v1 so every field it shows is in the JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from loadpulse.outputs.console_drift import print_drift
from loadpulse.outputs.console_faults import fault_line, print_faults
from loadpulse.outputs.console_pipeline import print_pipeline
from loadpulse.outputs.console_scenarios import print_probes, print_scenarios
from loadpulse.outputs.console_workers import print_workers
from loadpulse.outputs.contract import Finished, Output, OutputParams
from loadpulse.outputs.verdicts import print_verdicts
from loadpulse.results.format import fmt_bytes, fmt_count, fmt_duration, fmt_ms, fmt_number, markup_safe

LATENCY_COLUMNS = ("min", "mean", "p50", "p90", "p95", "p99", "p999", "max")
ENDED_BY = {
    "requests": "all requests done",
    "duration": "duration reached",
    "interrupted": "interrupted",
    "stopped": "stopped",
    "completed": "profiles completed",
    "aborted": "aborted",  # by a threshold, a lost worker...: the line under the summary says which
}
MAX_BREAKDOWN_ROWS = 25
"""Rows of the per-name (per-tag) table a terminal shows; the JSON summary has them all."""


def _latency_row(label: str, lat: dict[str, float]) -> list[str]:
    return [label, *(fmt_ms(lat[c]) for c in LATENCY_COLUMNS)]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _headline(s: dict[str, Any]) -> str:
    ended = f"({ENDED_BY.get(s['ended_by'], s['ended_by'])} after {fmt_duration(s['duration_s'])})"
    if "scenarios" in s:
        n = len(s["scenarios"])
        where = f" on {s['target']['url']}" if s["target"]["url"] else ""
        return (
            f"[bold]{s['load']['source']}[/]{where}  {n} scenario{'s' if n > 1 else ''}, "
            f"{s['model']} model, up to {_count(s['load']['vus_peak'], 'VU')}  {ended}"
        )
    mix = s["requests_mix"]
    what = (
        f"{s['target']['method']} {s['target']['url']}"
        if len(mix) == 1
        else f"mix of {len(mix)} requests on {s['target']['url'].split('/', 3)[2]}"
    )
    load = s["load"]
    conns = load["connections"]
    over = ""
    connections = _count(conns, "connection")
    if load.get("http2"):  # summaries written before HTTP/2 have no such key: HTTP/1.1
        over = " over HTTP/2"
        connections += f" \u00d7 {_count(load['streams_per_connection'], 'stream')}"
    return (
        f"[bold]{what}[/]{over}  {s['model']} model, {connections}"
        + (f", {fmt_number(load['rate'])}/s" if load["rate"] else "")
        + f"  {ended}"
    )


def print_summary(console: Console, s: dict[str, Any]) -> None:
    s = markup_safe(s)
    req = s["requests"]
    console.print(_headline(s), highlight=False)
    if not req["total"] and "scenarios" in s:
        # No protocol recorded a request (HTTP, HTTP/2, a WebSocket handshake, a gRPC call, ctx.timed all
        # do): the run's work is SDK calls or database actions timed with trends, so its figures are the
        # iterations and metrics below, not an empty request table.
        console.print("  no requests: the run's work is in the iterations and metrics below", highlight=False)
        _generator(console, s)
        print_scenarios(console, s)
        print_probes(console, s)
        print_drift(console, s)
        print_pipeline(console, s)
        print_faults(console, s)
        print_workers(console, s)
        return
    ok_pct = 100.0 * req["ok"] / req["total"] if req["total"] else 0.0
    console.print(
        f"  requests  [bold]{fmt_count(req['total'])}[/]  "
        f"ok {fmt_count(req['ok'])} ({ok_pct:.2f}%)  failed {fmt_count(req['failed'])}  "
        f"[bold]{req['rate']:,.1f} req/s[/]",
        highlight=False,
    )
    b = s["bytes"]
    console.print(
        f"  bytes     received {fmt_bytes(b['received'])}  sent {fmt_bytes(b['sent'])}",
        highlight=False,
    )
    if s["dropped"] or s["model"] == "open":
        console.print(f"  dropped   {fmt_count(s['dropped'])} (arrivals with no free slot)", highlight=False)
    # In a scenario run "abandoned" counts interrupted iterations (their own column below; the requests
    # they had in flight are in errors as unfinished), not requests: said here it contradicted "failed 0".
    if s["abandoned"] and not s.get("scenarios"):
        console.print(
            f"  unfinished {fmt_count(s['abandoned'])} (in flight when the run ended: counted as failed)",
            highlight=False,
        )
    _generator(console, s)

    # One space between columns and numbers never wrapped: at 80 columns a value split over two lines
    # ("11.70" above "ms") cannot be read or copied; the row's label wraps instead.
    table = Table(title=None, box=None, pad_edge=False, header_style="bold", padding=(0, 0, 0, 1))
    table.add_column("latency", overflow="fold")
    for col in LATENCY_COLUMNS:
        table.add_column(col.replace("p999", "p99.9"), justify="right", no_wrap=True)
    if s["latency_basis"] == "intended_start":
        table.add_row(*_latency_row("from intended start", s["latency_ms"]))
        table.add_row(*_latency_row("service time", s["service_time_ms"]))
    else:
        table.add_row(*_latency_row("total", s["latency_ms"]))
    table.add_row(*_latency_row("first byte", s["ttfb_ms"]))
    conns = s["connections"]
    if conns["opened"]:
        table.add_row(*_latency_row(f"connect ({fmt_count(conns['opened'])})", conns["connect_ms"]))
    if conns["tls_ms"]:
        table.add_row(*_latency_row("TLS handshake", conns["tls_ms"]))
    console.print(table)
    if s["latency_basis"] == "send" and s["model"] != "mixed":
        console.print(
            "  [dim]closed model: latency from each send, exposed to coordinated omission "
            "(--rate corrects it)[/]"
        )

    if s["status_codes"]:
        codes = "  ".join(f"{code}: {fmt_count(n)}" for code, n in s["status_codes"].items())
        console.print(f"  status    {codes}", highlight=False)
    if s["errors"]:
        ends = s.get("connection_errors") or {}
        errs = "  ".join(_error_count(kind, n, ends.get(kind, 0)) for kind, n in s["errors"].items())
        console.print(f"  [red]errors[/]    {errs}", highlight=False)

    if len(s["by_name"]) > 1:
        _breakdown(console, "name", s["by_name"])
    if s.get("by_tag"):
        _breakdown(console, "tag", s["by_tag"])
    if "scenarios" in s:
        print_scenarios(console, s)
    print_probes(console, s)
    print_drift(console, s)
    print_pipeline(console, s)
    print_faults(console, s)
    print_workers(console, s)


def _error_count(kind: str, n: int, ends: int) -> str:
    """``kind: n``, saying how many of them are connection ends (not requests: not in ``failed``)."""
    if not ends:
        return f"{kind}: {fmt_count(n)}"
    if ends == n:
        return f"{kind}: {fmt_count(n)} (connection ends, not requests)"
    return f"{kind}: {fmt_count(n)} ({fmt_count(ends)} of them connection ends, not requests)"


def _generator(console: Console, s: dict[str, Any]) -> None:
    gen = s.get("generator")
    if not gen:
        return
    lag = gen["loop_lag_ms"]
    style = "red" if gen["limited"] else "dim"
    console.print(
        f"  [{style}]generator loop lag p50 {fmt_ms(lag['p50'])}  p99 {fmt_ms(lag['p99'])}  "
        f"max {fmt_ms(lag['max'])}" + ("  GENERATOR-LIMITED" if gen["limited"] else "") + "[/]",
        highlight=False,
    )


def _breakdown(console: Console, label: str, blocks: dict[str, Any]) -> None:
    """One row per request name (or tag): count, failures, rate, latency percentiles."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in (label, "requests", "failed", "req/s", "p50", "p95", "p99", "max"):
        table.add_column(col, justify="left" if col == label else "right")
    rows = list(blocks.items())
    if len(rows) > MAX_BREAKDOWN_ROWS:
        # The busiest first, so what matters is on screen; '(other)' always shows where it exists.
        rows.sort(key=lambda kv: (not kv[0].endswith("(other)"), -kv[1]["requests"]["total"]))
        rows = rows[:MAX_BREAKDOWN_ROWS]
    for key, n in rows:
        lat = n["latency_ms"]
        table.add_row(
            key,
            fmt_count(n["requests"]["total"]),
            fmt_count(n["requests"]["failed"]),
            f"{n['requests']['rate']:,.1f}",
            *(fmt_ms(lat[c]) for c in ("p50", "p95", "p99", "max")),
        )
    console.print(table)
    if len(blocks) > len(rows):
        more = len(blocks) - len(rows)
        console.print(
            f"  [dim]… {fmt_count(more)} more {label}s, busiest shown; every one is in the JSON summary "
            "(--json)[/]",
            highlight=False,
        )


class ConsoleSummary(Output):
    """The summary and the thresholds' table, printed for people once the run is over; during the run, a
    line on ``err`` (above the progress line, like warnings) as each chaos fault starts, ends or is
    recovered from."""

    def __init__(self, console: Console, err: Console | None = None) -> None:
        self.console = console
        self.err = err or console
        self._fault_starts: dict[str, tuple[float, str]] = {}
        self._fault_ends: dict[str, float] = {}

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        if phase == "start":
            self._fault_starts[name] = (t_s, detail)
        elif phase == "end":
            self._fault_ends[name] = t_s
            started, said = self._fault_starts.get(name, (-1.0, ""))
            if t_s - started < 0.05:
                return  # a kill ends as it starts: its start line said it all
            if detail == said:
                detail = ""  # only what the end adds (a command's exit status)
        line = fault_line(name, kind, phase, t_s, detail, self._fault_ends.get(name))
        self.err.print(line, highlight=False)

    def stop(self, finished: Finished) -> Sequence[str]:
        print_summary(self.console, finished.summary)
        print_verdicts(self.console, finished.summary)
        return ()


def create(params: OutputParams) -> ConsoleSummary | None:
    return None if params.run is None or params.quiet else ConsoleSummary(params.human, params.err)

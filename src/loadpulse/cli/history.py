"""`loadpulse history` and `loadpulse show RUN`: the saved runs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from loadpulse.cli.console import stdout_console
from loadpulse.cli.report_options import StoreOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.verdicts import print_verdicts
from loadpulse.results.format import NO_DATA, fmt_ms, markup_safe

if TYPE_CHECKING:
    from loadpulse.store.history import RunRow

MAX_LISTED_RUNS = 1_000_000
"""Far past any screen or script's need, and within every database's integer (SQLite's is 64-bit)."""


def history(
    name: Annotated[str | None, typer.Option("--name", help="Only runs with this --run-name.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only runs with this tag.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many runs, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
    store: StoreOpt = None,
) -> int:
    """List saved runs, newest first."""
    from loadpulse.cli.http import positive
    from loadpulse.store.history import RunStore

    positive(limit, "--limit")
    if limit > MAX_LISTED_RUNS:
        raise BadInput(
            f"--limit {limit:,} is more runs than history lists at once (at most {MAX_LISTED_RUNS:,})"
        )
    rs = RunStore(store).open()
    rows = rs.list(name=name, tag=tag, limit=limit)
    console = stdout_console()
    if as_json:
        console.out(json.dumps([r.to_dict() for r in rows], indent=2), highlight=False)
        return 0
    if not rows:
        console.print(
            f"no runs in {rs.where}" + (" matching the filters" if name or tag else ""), highlight=False
        )
        return 0
    console.print(history_table(rows, console.width))
    return 0


COLUMNS = ("run", "started", "verdict", "requests", "req/s", "p95", "errors", "e2e p95", "lost", "name",
           "tags", "source")  # fmt: skip
NUMERIC = ("requests", "req/s", "p95", "errors", "e2e p95", "lost")
PIPELINE = ("e2e p95", "lost")
"""A pipeline check's end-to-end p95 and loss rate: shown when a listed run has one."""
DROPPED_FIRST = ("source", "tags", "name", "started", "e2e p95", "lost")
"""Columns left out, in this order, on a terminal too narrow for all (the run id holds the start time)."""


def _e2e(r: RunRow) -> str:
    if r.pipeline_e2e_p95_ms is None:
        return NO_DATA
    return fmt_ms(r.pipeline_e2e_p95_ms)


def _lost(r: RunRow) -> str:
    if r.pipeline_loss_rate is None:
        return NO_DATA
    return f"{r.pipeline_loss_rate * 100:.2f}%"


def history_table(rows: list[RunRow], width: int) -> Table:
    """The runs as a table whose run ids are never cut: an id is what ``show``/``compare`` take. Every
    column is kept whole; on a narrow terminal the least needed columns are left out instead (``--json``
    has them all), then what still does not fit folds."""
    cells = [
        {
            "run": r.run_id,
            "started": r.started_at.replace("T", " ")[:19],
            "verdict": r.verdict,
            "requests": f"{r.requests:,}",
            "req/s": f"{r.rate:,.1f}",
            "p95": f"{r.p95_ms:.2f} ms" if r.p95_ms is not None else NO_DATA,
            "errors": f"{r.error_rate * 100:.2f}%",
            "e2e p95": _e2e(r),
            "lost": _lost(r),
            # Names, tags and sources are the user's (a scenario's): shown as written, never as markup
            # or terminal control sequences.
            "name": markup_safe(r.name or ""),
            "tags": markup_safe(",".join(r.tags)),
            "source": markup_safe(r.source or ""),
        }
        for r in rows
    ]
    widths = {col: max(len(col), *(len(c[col]) for c in cells)) for col in COLUMNS}
    has_pipeline = any(r.pipeline_sent is not None for r in rows)
    shown = [col for col in COLUMNS if has_pipeline or col not in PIPELINE]
    for col in DROPPED_FIRST:
        if sum(widths[c] for c in shown) + 2 * (len(shown) - 1) <= width:
            break
        if col in shown:
            shown.remove(col)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in shown:
        keep = col in ("run", "verdict")  # never folded: an id or a verdict cut in two is no use
        table.add_column(
            col,
            justify="right" if col in NUMERIC else "left",
            no_wrap=keep,
            min_width=widths[col] if keep else None,
            overflow="fold",
        )
    for c in cells:
        table.add_row(*(c[col] for col in shown))
    return table


def show(
    run: Annotated[
        str, typer.Argument(help="Run id (or prefix), 'last', 'best', 'tag:NAME', or a results file.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's Summary JSON.")] = False,
    store: StoreOpt = None,
) -> int:
    """Print a saved run's summary."""
    from loadpulse.store.history import load_ref

    results = load_ref(run, store)
    console = stdout_console()
    if as_json:
        console.out(json.dumps(results.summary, indent=2), highlight=False)
        return 0
    for warning in results.summary.get("warnings") or []:
        # What the run warned about (grouped names, TLS reasons, a forced stop) belongs with its figures.
        console.print(f"[yellow]warning:[/] {markup_safe(str(warning))}", highlight=False)
    print_summary(console, results.summary)
    print_verdicts(console, results.summary)
    return 0

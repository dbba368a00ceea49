"""`loadpulse history` and `loadpulse show RUN`: the saved runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from loadpulse.cli.console import stdout_console
from loadpulse.cli.report_options import StoreOpt
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.verdicts import print_verdicts


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
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("run", "started", "name", "tags", "verdict", "requests", "req/s", "p95", "errors", "source"):
        table.add_column(col, justify="right" if col in ("requests", "req/s", "p95", "errors") else "left")
    for r in rows:
        table.add_row(
            r.run_id,
            r.started_at.replace("T", " ")[:19],
            r.name or "",
            ",".join(r.tags),
            r.verdict,
            f"{r.requests:,}",
            f"{r.rate:,.1f}",
            f"{r.p95_ms:.2f} ms",
            f"{r.error_rate * 100:.2f}%",
            r.source or "",
        )
    console.print(table)
    return 0


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
    print_summary(console, results.summary)
    print_verdicts(console, results.summary)
    return 0

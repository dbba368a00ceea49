"""`loadpulse report RUN|FILE`: regenerate the HTML report, CSV or JSON of a saved run or results file."""

from __future__ import annotations

from typing import Annotated

import typer

from loadpulse.cli.console import fail
from loadpulse.cli.report_options import StoreOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.csv_export import series_csv
from loadpulse.outputs.files import OutputBatch, check_writable, summary_json
from loadpulse.outputs.html_report import render_html


def report(
    run: Annotated[
        str, typer.Argument(help="Run id (or prefix), 'last', 'best', 'tag:NAME', or a results file.")
    ],
    html: Annotated[
        str | None, typer.Option("--html", help="Write the HTML report here.", metavar="PATH")
    ] = None,
    csv: Annotated[
        str | None, typer.Option("--csv", help="Write the per-second CSV here.", metavar="PATH")
    ] = None,
    json_out: Annotated[
        str | None,
        typer.Option("--json", help="Write the Summary JSON here ('-' for stdout).", metavar="PATH"),
    ] = None,
    store: StoreOpt = None,
) -> int:
    """Regenerate reports from a saved run or a results file (--out)."""
    if not (html or csv or json_out):
        raise BadInput("say what to write: --html PATH, --csv PATH and/or --json PATH")
    from loadpulse.store.history import load_ref

    check_writable([("--html", html), ("--csv", csv), ("--json", json_out)])
    results = load_ref(run, store)
    batch = OutputBatch()
    batch.write("--html", html, lambda: render_html(results).encode())
    batch.write("--csv", csv, lambda: series_csv(results).encode())
    batch.write("--json", json_out, lambda: summary_json(results.summary).encode())
    for line in batch.failures:
        fail(line)
    return 2 if batch.failures else 0  # an output not written is exit 2, as after a run

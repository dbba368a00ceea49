"""`loadpulse report RUN|FILE`: regenerate the HTML report, CSV or JSON of a saved run or results file."""

from __future__ import annotations

from typing import Annotated

import typer

from loadpulse.cli.report_options import StoreOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.csv_export import write_csv
from loadpulse.outputs.html_report import write_html
from loadpulse.outputs.summary import write_summary


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

    results = load_ref(run, store)
    if html:
        write_html(results, html)
    if csv:
        write_csv(results, csv)
    if json_out:
        write_summary(results.summary, json_out)
    return 0

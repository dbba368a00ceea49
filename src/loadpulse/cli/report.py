"""`loadpulse report RUN|FILE`: regenerate any report of a saved run or results file (HTML, CSV, Summary
JSON, JUnit, Markdown), through the same outputs a run writes them with."""

from __future__ import annotations

from typing import Annotated

import typer

from loadpulse.cli.console import fail, stderr_console, stdout_console
from loadpulse.cli.report_options import StoreOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished, OutputParams
from loadpulse.outputs.output_set import OutputSet
from loadpulse.outputs.registry import build_outputs


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
    junit: Annotated[
        str | None, typer.Option("--junit", help="Write the JUnit XML report here.", metavar="PATH")
    ] = None,
    markdown: Annotated[
        str | None, typer.Option("--markdown", help="Write the Markdown summary here.", metavar="PATH")
    ] = None,
    store: StoreOpt = None,
) -> int:
    """Regenerate reports from a saved run or a results file (--out)."""
    flags = {"html": html, "csv": csv, "json_out": json_out, "junit": junit, "markdown": markdown}
    # Without a run, only the outputs that work from saved results alone are built (params.run is None).
    outputs = OutputSet(build_outputs(OutputParams(flags, stdout_console(), stderr_console())))
    if not outputs.outputs:
        raise BadInput(
            "say what to write: --html PATH, --csv PATH, --json PATH, --junit PATH and/or --markdown PATH"
        )
    from loadpulse.store.history import load_ref

    outputs.check_files()
    results = load_ref(run, store)
    problems = outputs.stop(Finished(results))
    for line in problems:
        fail(line)
    return 2 if problems else 0  # an output not written is exit 2, as after a run

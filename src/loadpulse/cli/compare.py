"""`loadpulse compare BASELINE CANDIDATE`: is the candidate run a regression? (docs/compare.md)"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from loadpulse.cli.console import stdout_console
from loadpulse.cli.report_options import StoreOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.comparison import comparison_markdown, print_comparison
from loadpulse.outputs.files import check_writable, failure_line, write_text_atomic
from loadpulse.store.compare import compare as compare_runs
from loadpulse.store.compare import regressions


def parse_effect(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw.removesuffix("%")) / (100 if raw.endswith("%") else 1)
    except ValueError:
        raise BadInput(f"--min-effect {text!r} is not a number or a percentage like 5%") from None
    if not 0 <= value < 10:
        raise BadInput(f"--min-effect {text!r} must be between 0% and 1000%")
    return value


def compare(
    baseline: Annotated[str, typer.Argument(help="Run id, 'last', 'best', 'tag:NAME' or a results file.")],
    candidate: Annotated[str, typer.Argument(help="Run id, 'last', 'best', 'tag:NAME' or a results file.")],
    min_effect: Annotated[
        str, typer.Option("--min-effect", help="Smallest relative change called a regression (e.g. 5%).")
    ] = "5%",
    fail_on_regression: Annotated[
        bool, typer.Option("--fail-on-regression", help="Exit 1 when any metric regressed.")
    ] = False,
    markdown: Annotated[
        str | None, typer.Option("--markdown", help="Write the comparison as Markdown.", metavar="PATH")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    store: StoreOpt = None,
) -> int:
    """Compare two runs metric by metric; noise below --min-effect or without significance is not a change."""
    from loadpulse.store.history import load_ref

    effect = parse_effect(min_effect)
    check_writable([("--markdown", markdown)])
    base = load_ref(baseline, store)
    cand = load_ref(candidate, store)
    deltas = compare_runs(base, cand, min_effect=effect)
    console = stdout_console()
    if as_json:
        doc = {"baseline": base.run_id, "candidate": cand.run_id, "deltas": [d.to_dict() for d in deltas]}
        console.out(json.dumps(doc, indent=2), highlight=False)
    else:
        print_comparison(console, base.run_id, cand.run_id, deltas)
    if markdown:
        try:
            write_text_atomic(markdown, comparison_markdown(base.run_id, cand.run_id, deltas))
        except OSError as exc:
            raise BadInput(failure_line("--markdown", markdown, exc)) from None
    return 1 if fail_on_regression and regressions(deltas) else 0

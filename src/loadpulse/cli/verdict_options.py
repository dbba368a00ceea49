"""Threshold and CI-output flags shared by `http` and `run` (typer types declared once)."""

from __future__ import annotations

from typing import Annotated

import typer

ThresholdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        "-t",
        help="SLO threshold, e.g. 'p95 < 200ms', 'errors.rate < 1%', 'http{name=create}.p99 < 500ms', "
        "'p95: target<10ms acceptable<20ms critical<50ms', 'p99 < 1s abort_on_fail=10s'; repeatable "
        "(see docs/thresholds.md).",
    ),
]
AbortOpt = Annotated[
    bool,
    typer.Option("--abort-on-fail", help="Stop the run (exit 3) as soon as any threshold is at FAIL."),
]
FailOnWarnOpt = Annotated[bool, typer.Option("--fail-on-warn", help="Exit 1 on WARN as well as on FAIL.")]
JunitOpt = Annotated[
    str | None,
    typer.Option("--junit", help="Write a JUnit XML report (one testcase per threshold).", metavar="PATH"),
]
MarkdownOpt = Annotated[
    str | None,
    typer.Option(
        "--markdown",
        help="Write a Markdown summary for a pull-request comment (also appended to $GITHUB_STEP_SUMMARY "
        "when that is set).",
        metavar="PATH",
    ),
]

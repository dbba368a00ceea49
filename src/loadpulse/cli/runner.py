"""Running a RunSpec from the command line: progress, summary, JSON, exit code. Shared by http and demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from loadpulse.cli.console import stderr_console, stdout_console
from loadpulse.engine.run import RunOutcome, execute
from loadpulse.live.progress import ProgressLine
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.summary import build_summary, write_summary
from loadpulse.spec import RunSpec

EXIT_OK = 0
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class OutputOptions:
    json_path: str | None = None
    progress: bool = True
    quiet: bool = False


def new_run_id(outcome: RunOutcome) -> str:
    return f"{outcome.started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_and_report(spec: RunSpec, out: OutputOptions) -> int:
    """Run, then print and write what was measured, even when interrupted. Returns the exit code."""
    err = stderr_console()
    # With the JSON on stdout, everything for humans goes to stderr so the JSON stays parseable.
    human = err if out.json_path == "-" else stdout_console()
    progress = ProgressLine(err, spec.load.effective_duration_s, spec.load.requests)
    show_progress = out.progress and not out.quiet
    with progress:
        outcome = execute(spec, progress.update if show_progress else None)
    outcome.run_id = new_run_id(outcome)
    summary = build_summary(outcome)
    if not out.quiet:
        print_summary(human, summary)
    if out.json_path:
        write_summary(summary, out.json_path)
    return EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK

"""Running a RunSpec from the command line: progress, summary, JSON, exit code. Shared by http and demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from loadpulse.cli.console import stderr_console, stdout_console
from loadpulse.engine.run import RunOutcome, execute, execute_plan
from loadpulse.live.progress import ProgressLine
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.summary import build_summary, write_summary
from loadpulse.scenario.model import Plan
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


def planned_iterations(plan: Plan) -> int | None:
    """Total iterations when every scenario has a fixed budget (the progress bar counts those)."""
    total = 0
    for sc in plan.scenarios:
        p = sc.profile
        shared = getattr(p, "shared_iterations", None)
        per_vu = getattr(p, "iterations_per_vu", None)
        if shared is not None:
            total += shared
        elif per_vu is not None:
            total += per_vu * p.peak_vus
        else:
            return None
    return total


def run_and_report(what: RunSpec | Plan, out: OutputOptions) -> int:
    """Run, then print and write what was measured, even when interrupted. Returns the exit code."""
    err = stderr_console()
    # With the JSON on stdout, everything for humans goes to stderr so the JSON stays parseable.
    human = err if out.json_path == "-" else stdout_console()
    show_progress = out.progress and not out.quiet
    if isinstance(what, Plan):
        progress = ProgressLine(err, what.planned_s, None, planned_iterations(what))
        with progress:
            outcome = execute_plan(what, progress.update if show_progress else None)
    else:
        progress = ProgressLine(err, what.load.effective_duration_s, what.load.requests)
        with progress:
            outcome = execute(what, progress.update if show_progress else None)
    for warning in outcome.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    outcome.run_id = new_run_id(outcome)
    summary = build_summary(outcome)
    if not out.quiet:
        print_summary(human, summary)
    if out.json_path:
        write_summary(summary, out.json_path)
    return EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK

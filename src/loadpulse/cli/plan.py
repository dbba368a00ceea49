"""`loadpulse plan PLAN.yaml`: a test plan's runs one after another, one verdict and one exit code.

Every run is built and checked before the first starts (scenario files, thresholds, output paths): bad
input anywhere is one line and exit 2 with nothing sent. Each run then goes through the same path as
`loadpulse run` / `loadpulse http` (:func:`loadpulse.cli.runner.run_and_report`: its console summary, its
history row tagged ``plan:NAME``), and the plan writes its own combined reports at the end (console
table, ``--json``, ``--junit``, ``--html``), also when a run failed with stop_on_fail or Ctrl-C stopped it.
"""

from __future__ import annotations

import gc
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer

from loadpulse.cli.console import fail, stderr_console, stdout_console
from loadpulse.cli.plan_runs import PlanSettings, PreparedRun, prepare
from loadpulse.cli.report_options import NoHistoryOpt, SecretOpt, StoreOpt
from loadpulse.cli.run_options import NoProgressOpt, QuietOpt
from loadpulse.cli.runner import EXIT_BAD_INPUT, EXIT_INTERRUPTED, run_and_report, run_secrets_of
from loadpulse.cli.verdict_options import FailOnWarnOpt
from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished
from loadpulse.outputs.files import STDOUT, OutputBatch, check_writable
from loadpulse.outputs.html_plan import LARGE_PAGE_BYTES, ReportSpool, render_plan_html
from loadpulse.outputs.plan_report import plan_json_text, plan_junit, print_plan_table
from loadpulse.redaction import redact_text
from loadpulse.results.format import markup_safe
from loadpulse.results.plan_outcome import PlanOutcome, RunRecord
from loadpulse.scenario.plan_file import load_plan

STOPS = (1, 3)
"""Exit codes of a failed run: FAIL (or WARN with --fail-on-warn) and aborted stop a stop_on_fail plan."""


@contextmanager
def _term_interrupts() -> Iterator[None]:
    """SIGTERM (a CI cancel) during a pause stops the plan as Ctrl-C does; a run handles its own."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: no handler to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _ctrl_c_stops() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt for the whole plan, also when it was inherited as ignored (a plan
    started with ``&`` from a script: the shell ignores SIGINT in background jobs, Python keeps that).
    Each run takes SIGINT for itself (engine/watchdog.py) and gives this handler back after it, so the
    pauses, the checks and the gaps between runs stop on Ctrl-C too."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: no handler to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _pause(seconds: float) -> None:
    with _term_interrupts():
        time.sleep(seconds)


def plan(
    file: Annotated[str, typer.Argument(help="Plan file (.yaml): see docs/plans.md.", show_default=False)],
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", "-u", help="Where every run goes: replaces the plan's base_url."),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="KEY=VALUE given to every scenario as ctx.env; repeatable."),
    ] = None,
    html: Annotated[
        str | None,
        typer.Option(
            "--html",
            help="Write one HTML report: the runs side by side, then each run's own report.",
            metavar="PATH",
        ),
    ] = None,
    json_out: Annotated[
        str | None,
        typer.Option(
            "--json",
            help='Write {"plan", "verdict", "runs": \\[each run\'s Summary JSON]} ("-" for stdout).',
            metavar="PATH",
        ),
    ] = None,
    junit: Annotated[
        str | None,
        typer.Option("--junit", help="Write JUnit XML: one testsuite per run.", metavar="PATH"),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Tag every run in the history (besides plan:NAME); repeatable."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Check the plan and list its runs; run nothing.")
    ] = False,
    fail_on_warn: FailOnWarnOpt = False,
    no_history: NoHistoryOpt = False,
    store: StoreOpt = None,
    secret: SecretOpt = None,
    no_progress: NoProgressOpt = False,
    quiet: QuietOpt = False,
) -> int:
    """Run a test plan: its runs in order, with pauses, stop_on_fail, one verdict (see docs/plans.md)."""
    with _ctrl_c_stops():
        plan_file = load_plan(file, base_url)
        settings = PlanSettings(
            plan_file.name,
            # With the plan JSON on stdout, the runs say nothing there (their summaries would break the JSON).
            quiet=quiet or json_out == STDOUT,
            no_progress=no_progress,
            fail_on_warn=fail_on_warn,
            no_history=no_history,
            store=store,
            tags=tuple(tag or ()),
            secrets=tuple(secret or ()),
            env=tuple(env or ()),
        )
        prepared = [prepare(run, settings) for run in plan_file.runs]
        check_writable((("--html", html), ("--json", json_out), ("--junit", junit)))
        if not no_history and not check:
            _check_store(store)
        human = stderr_console() if json_out == STDOUT else stdout_console()
        if check:
            for p in prepared:
                run = p.run
                pause = f" (after a {run.pause_before_s:g} s pause)" if run.pause_before_s else ""
                human.print(
                    f"{run.index + 1}. {run.name}: {run.kind} {_shown(p, settings)}{pause}", markup=False
                )
            human.print(f"plan {plan_file.name}: {len(prepared)} runs, checked", markup=False)
            return 0
        outcome = PlanOutcome(
            plan_file.name,
            plan_file.path,
            [
                RunRecord(p.run.index, p.run.name, p.run.kind, _shown(p, settings), p.run.stop_on_fail)
                for p in prepared
            ],
            started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            description=plan_file.description,
        )
        reports = ReportSpool() if html is not None else None
        try:
            _run_all(prepared, outcome, settings, reports)
            if not quiet or json_out == STDOUT:
                print_plan_table(human if not quiet else stderr_console(), outcome)
            batch = OutputBatch()
            batch.write("--json", json_out, lambda: plan_json_text(outcome).encode())
            batch.write("--junit", junit, lambda: plan_junit(outcome))
            batch.write("--html", html, lambda: _sized(html, render_plan_html(outcome, reports).encode()))
        finally:
            if reports is not None:
                reports.close()
        for line in batch.failures:
            fail(line)
        outcome.output_problems.extend(batch.failures)
        return outcome.exit_code


def _sized(path: str | None, page: bytes) -> bytes:
    """The page, with a warning when it is large enough to make a browser struggle."""
    if len(page) > LARGE_PAGE_BYTES:
        stderr_console().print(
            f"[yellow]warning:[/] --html {markup_safe(repr(path))} is {len(page) / 2**20:.0f} MB (each run's "
            "report grows with its length): a browser may be slow to open it; split the plan to keep it "
            "smaller",
            highlight=False,
        )
    return page


def _check_store(url: str | None) -> None:
    """The history store, proved writable before the first run (each run checks it again, as alone)."""
    from loadpulse.store.history import RunStore  # SQLAlchemy only when the history is on

    store = RunStore(url).open(writable=True)
    store.engine.dispose()


def _shown(p: PreparedRun, settings: PlanSettings) -> str:
    """The run's file or URL as every report shows it: a URL's password and the run's secrets redacted."""
    return redact_text(p.run.target, run_secrets_of(p.description, settings.secrets))


def _run_all(
    prepared: list[PreparedRun], outcome: PlanOutcome, settings: PlanSettings, reports: ReportSpool | None
) -> None:
    """Each run in turn until the plan ends, a stop_on_fail run fails, a run breaks or Ctrl-C."""
    err = stderr_console()
    why = ""
    for p, record in zip(prepared, outcome.runs, strict=True):
        try:
            if p.run.pause_before_s > 0:
                if not settings.quiet:
                    err.print(f"plan: pausing {p.run.pause_before_s:g} s before {p.run.name}", markup=False)
                _pause(p.run.pause_before_s)
            if not settings.quiet:
                title = f"plan {settings.plan_name}: run {p.run.index + 1}/{len(prepared)}: {p.run.name}"
                err.rule(markup_safe(title), style="dim")
            code = _run_one(p, record, settings, reports)
        except KeyboardInterrupt:
            outcome.interrupted, why = True, "not run: the plan was interrupted"
            break
        except BadInput as exc:
            # What only the run itself can find (a name that does not resolve, a port in use): the runs
            # before it are reported all the same, the plan stops with exit 2.
            fail(f"{p.run.where} ({p.run.name}): {exc}", exc.detail)
            record.finished(None, EXIT_BAD_INPUT)
            record.reason = redact_text(str(exc), run_secrets_of(p.description, settings.secrets))
            outcome.stopped_by, why = p.run.name, f"skipped: {p.run.name!r} could not run"
            break
        if code == EXIT_INTERRUPTED:
            outcome.interrupted, why = True, "not run: the plan was interrupted"
            break
        if code in STOPS and p.run.stop_on_fail:
            outcome.stopped_by, why = p.run.name, f"skipped: {p.run.name!r} failed and has stop_on_fail"
            break
    for record in outcome.runs:
        if record.exit_code is None:
            record.reason = why


def _run_one(p: PreparedRun, record: RunRecord, settings: PlanSettings, reports: ReportSpool | None) -> int:
    # A Python scenario is loaded again just before its run: module-level code (a start time, a fresh
    # id) belongs to the run, not to the plan's start when every file was checked.
    if p.run.kind == "scenario" and p.run.target.endswith(".py"):
        p = prepare(p.run, settings)
    kept: list[Finished] = []
    code = run_and_report(p.description, p.flags, p.thresholds, on_finished=kept.append)
    # Only the summary stays; the run's own report (its timeline and charts) goes to disk now.
    record.finished(kept[0].results.summary if kept else None, code)
    if kept and reports is not None:
        reports.add(p.run.index, kept[0].results)
    # Only the summary is kept (the engine unfreezes what its set-up froze when a run ends).
    kept.clear()
    gc.collect()
    return code

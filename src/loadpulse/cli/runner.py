"""Running a RunSpec from the command line: progress, summary, JSON, exit code. Shared by http and demo."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from loadpulse.cli.console import fail, stderr_console, stdout_console
from loadpulse.cli.live import LiveOutputs
from loadpulse.engine.execute import execute, execute_plan
from loadpulse.errors import BadInput
from loadpulse.live.progress import ProgressLine
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.files import OutputBatch, check_writable, summary_json
from loadpulse.outputs.verdicts import junit_xml, markdown, print_verdicts
from loadpulse.probes.build import build_sampler, check_probe_thresholds
from loadpulse.redaction import redact_values, run_secrets
from loadpulse.results.document import Results, results_of
from loadpulse.results.file import read_results, results_bytes
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec
from loadpulse.thresholds.objective import Objective
from loadpulse.thresholds.verdict import FAIL, WARN, evaluate
from loadpulse.units import parse_duration

if TYPE_CHECKING:
    from loadpulse.store.history import RunStore

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2
EXIT_ABORTED = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class OutputOptions:
    json_path: str | None = None
    progress: bool = True
    quiet: bool = False
    junit_path: str | None = None
    markdown_path: str | None = None
    fail_on_warn: bool = False
    out_path: str | None = None
    html_path: str | None = None
    csv_path: str | None = None
    history: bool = True
    store_url: str | None = None
    run_name: str | None = None
    tags: tuple[str, ...] = ()
    baseline: str | None = None
    probes: tuple[str, ...] = ()
    dashboard_port: int | None = None
    prometheus_port: int | None = None
    bind: str = "127.0.0.1"
    token: str | None = None
    linger_s: float = 0.0
    secrets: tuple[str, ...] = ()


def output_options(flags: dict[str, Any]) -> OutputOptions:
    """OutputOptions from the flags `http` and `run` share, passed as the command's ``locals()``: typer
    needs each flag in each signature, but the mapping onto options lives once, here."""
    return OutputOptions(
        json_path=flags["json_out"],
        progress=not flags["no_progress"],
        quiet=flags["quiet"],
        junit_path=flags["junit"],
        markdown_path=flags["markdown"],
        fail_on_warn=flags["fail_on_warn"],
        out_path=flags["out_file"],
        html_path=flags["html"],
        csv_path=flags["csv"],
        history=not flags["no_history"],
        store_url=flags["store"],
        run_name=flags["run_name"],
        tags=tuple(flags["tag"] or ()),
        baseline=flags["baseline"],
        probes=tuple(flags["probe"] or ()),
        secrets=tuple(flags["secret"] or ()),
        dashboard_port=flags["dashboard"],
        prometheus_port=flags["prometheus"],
        bind=flags["bind_host"],
        token=flags["dashboard_token"],
        linger_s=parse_duration(flags["dashboard_linger"], "--dashboard-linger", allow_zero=True),
    )


def exit_code(outcome: RunOutcome, verdict: str, fail_on_warn: bool) -> int:
    """DESIGN.md's contract: 130 interrupted, 3 aborted, 1 FAIL (or WARN with --fail-on-warn), else 0."""
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.ended_by == "aborted":
        return EXIT_ABORTED
    if verdict == FAIL or (verdict == WARN and fail_on_warn):
        return EXIT_FAIL
    return EXIT_OK


def abort_watch(objectives: Sequence[Objective]) -> Callable[[Aggregate], str | None]:
    """Evaluated on every snapshot: the reason to abort once an abort_on_fail objective is at FAIL
    (after its delay, counted from the run start)."""
    watched = [o for o in objectives if o.abort_on_fail]

    def check(agg: Aggregate) -> str | None:
        for result in evaluate(watched, agg):
            o = result.objective
            if result.verdict == FAIL and agg.elapsed_s >= o.abort_delay_s:
                return f"{o.expression!r} failed at {agg.elapsed_s:.1f} s (actual {result.actual_text})"
        return None

    return check


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


def run_and_report(what: RunSpec | Plan, out: OutputOptions, objectives: Sequence[Objective] = ()) -> int:
    """Run, then print and write what was measured, even when interrupted or aborted. Returns the exit
    code. ``objectives`` are evaluated every second (abort_on_fail) and on the final aggregate."""
    err = stderr_console()
    # With the JSON on stdout, everything for humans goes to stderr so the JSON stays parseable.
    human = err if out.json_path == "-" else stdout_console()
    show_progress = out.progress and not out.quiet
    if isinstance(what, Plan):
        progress = ProgressLine(err, what.planned_s, None, planned_iterations(what))
    else:
        progress = ProgressLine(err, what.load.effective_duration_s, what.load.requests)
    watch = abort_watch(objectives)
    hidden = tuple(run_secrets_of(what, out.secrets))
    # Output paths, the history store and the baseline are checked before the load: a wrong path or URL
    # is bad input, not a finding after a 10-minute run.
    check_writable(output_paths(out))
    store = None
    if out.history:  # SQLAlchemy is imported only when the history is on
        from loadpulse.store.history import RunStore

        store = RunStore(out.store_url).open(writable=True)
    baseline = _baseline(out, store)
    sampler = build_sampler(
        out.probes,
        what.probes if isinstance(what, Plan) else None,
        warn=lambda message: err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False),
    )
    planned_s = what.planned_s if isinstance(what, Plan) else what.load.effective_duration_s
    title = redact_values(what.source if isinstance(what, Plan) else what.request.url, hidden)
    live = LiveOutputs(
        title,
        planned_s,
        out.dashboard_port,
        out.prometheus_port,
        out.bind,
        out.token,
        out.linger_s,
        hidden,
        planned_iterations(what) if isinstance(what, Plan) else None,
    )
    try:
        check_probe_thresholds(objectives, sampler)
        if sampler is not None:
            sampler.check()
    except BadInput:
        if sampler is not None:
            sampler.close()
        raise
    if not out.quiet:
        live.announce(err)

    def listener(snap: Snapshot, row: SeriesRow, agg: Aggregate) -> str | None:
        if show_progress:
            progress.update(snap, row, agg)
        if live.services:
            live.update(row, agg, evaluate(objectives, agg))
        return watch(agg)

    finals: dict[str, dict[str, Any]] = {}

    def summarize(outcome: RunOutcome) -> dict[str, Any]:
        outcome.run_id = new_run_id(outcome)
        summary = build_summary(outcome, evaluate(objectives, outcome.aggregate))
        finals["summary"] = redact_values(summary, hidden)
        return finals["summary"]

    run_kw: dict[str, Any] = {
        "sampler": sampler,
        "services": live.services,
        "on_outcome": live.finisher(summarize),
    }
    try:
        with progress:
            if isinstance(what, Plan):
                outcome = execute_plan(what, listener, **run_kw)
            else:
                outcome = execute(what, listener, **run_kw)
    finally:
        if sampler is not None:
            sampler.close()
    probe_warnings = set(sampler.warnings) if sampler is not None else set()
    for warning in outcome.warnings:
        if warning not in probe_warnings:  # those were printed as they happened
            err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if outcome.abort_reason:
        err.print(f"[red]aborted:[/] {escape(outcome.abort_reason)}", highlight=False)
    summary = finals.get("summary") or summarize(outcome)
    for reason in summary["generator"]["reasons"]:
        err.print(f"[yellow]warning:[/] generator-limited: {escape(reason)}", highlight=False)
    if not out.quiet:
        print_summary(human, summary)
        print_verdicts(human, summary)
    results = results_of(outcome, summary)
    results.settings = redact_values(results.settings, hidden)
    results.names = {redact_values(k, hidden): v for k, v in results.names.items()}
    written = write_reports(results, out)
    code = exit_code(outcome, summary["verdict"], out.fail_on_warn)
    if baseline is not None:
        from loadpulse.outputs.comparison import print_comparison
        from loadpulse.store.compare import compare

        deltas = compare(baseline, results)
        print_comparison(human, baseline.run_id, results.run_id, deltas)
    if store is not None:
        from loadpulse.store.history import git_commit

        try:
            store.save(results, out.run_name, out.tags, git_commit())
        except BadInput as exc:
            # The run's own files are already written; the store failing is reported, never lost work.
            fail(f"{exc} (the run's files and summary were written)")
            code = EXIT_BAD_INPUT
        else:
            if not out.quiet:
                err.print(f"saved as run {results.run_id} in {store.where}", highlight=False)
    # An output that could not be written is said once every other output and the history row are saved;
    # the exit code is 2 whatever the verdict, so CI never reads a missing report as a PASS or a FAIL.
    for line in written.failures:
        fail(line)
    return EXIT_BAD_INPUT if written.failures else code


def run_secrets_of(what: RunSpec | Plan, given: Sequence[str]) -> list[str]:
    """Every credential of the run (URL passwords, secret headers, secret --env values, --secret): what
    every output replaces, wherever it appears."""
    if isinstance(what, Plan):
        return run_secrets([what.base_url or ""], what.headers, what.env, given)
    return run_secrets(
        [r.url for r in what.requests], [h for r in what.requests for h in r.headers], None, given
    )


def _baseline(out: OutputOptions, store: RunStore | None) -> Results | None:
    if out.baseline is None:
        return None
    from pathlib import Path

    if Path(out.baseline).exists() or out.baseline.endswith((".json", ".json.gz")):
        return read_results(out.baseline)
    if store is None:
        raise BadInput("--baseline needs the run history (drop --no-history) or a results file")
    return store.load(out.baseline, out.run_name)


def output_paths(out: OutputOptions) -> list[tuple[str, str | None]]:
    """Every file output as (flag, path): checked before the load, written after it."""
    return [
        ("--json", out.json_path),
        ("--out", out.out_path),
        ("--html", out.html_path),
        ("--csv", out.csv_path),
        ("--junit", out.junit_path),
        ("--markdown", out.markdown_path),
    ]


def write_reports(results: Results, out: OutputOptions) -> OutputBatch:
    """Write every output asked for; one failing (a full disk) never stops the others."""
    from loadpulse.outputs.csv_export import series_csv
    from loadpulse.outputs.html_report import render_html

    summary = results.summary
    batch = OutputBatch()
    batch.write("--json", out.json_path, lambda: summary_json(summary).encode())
    if out.out_path is not None:
        batch.write("--out", out.out_path, lambda: results_bytes(results, str(out.out_path)))
    batch.write("--html", out.html_path, lambda: render_html(results).encode())
    batch.write("--csv", out.csv_path, lambda: series_csv(results).encode())
    batch.write("--junit", out.junit_path, lambda: junit_xml(summary))
    batch.write("--markdown", out.markdown_path, lambda: markdown(summary).encode())
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions: the Markdown summary also goes to the job summary
        batch.append("GITHUB_STEP_SUMMARY", step_summary, markdown(summary) + "\n")
    return batch

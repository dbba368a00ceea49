"""Running a RunSpec or a Plan from the command line: its outputs, the warnings, the exit code.
Shared by http, run and demo. What is shown and written is up to the outputs (loadpulse.outputs.registry)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console

from loadpulse.cli.console import fail, stderr_console, stdout_console
from loadpulse.cli.drift_options import drift_choice
from loadpulse.cli.fault_options import fault_runner_for
from loadpulse.cli.run_options import Flags
from loadpulse.cli.worker_options import WorkerSetup
from loadpulse.engine.coordinator import execute_workers
from loadpulse.engine.execute import execute, execute_plan
from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished, OutputParams, RunInfo
from loadpulse.outputs.output_set import OutputSet
from loadpulse.outputs.registry import build_outputs
from loadpulse.probes.build import build_sampler, check_probe_thresholds
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.redaction import redact_values, run_secrets
from loadpulse.results.document import results_of
from loadpulse.results.format import markup_safe
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import FAIL, WARN, evaluate

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2
EXIT_ABORTED = 3
EXIT_INTERRUPTED = 130


def exit_code(outcome: RunOutcome, verdict: str, fail_on_warn: bool) -> int:
    """DESIGN.md's contract: 130 interrupted, 3 aborted, 1 FAIL (or WARN with --fail-on-warn), else 0."""
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.ended_by == "aborted":
        return EXIT_ABORTED
    if verdict == FAIL or (verdict == WARN and fail_on_warn):
        return EXIT_FAIL
    return EXIT_OK


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


RunDescription = RunSpec | Plan
"""What a run does: the one-liner's RunSpec or a scenario's Plan."""


def run_and_report(
    description: RunDescription,
    flags: Flags,
    thresholds: Sequence[Threshold] = (),
    workers: WorkerSetup | None = None,
    on_finished: Callable[[Finished], None] | None = None,
) -> int:
    """Run, then show and write what was measured, even when interrupted or aborted. Returns the exit
    code. ``flags``: the command's output flags (see cli.run_options); ``thresholds`` are evaluated every
    interval (for abort_on_fail and the live outputs) and on the final aggregate; ``workers``: a scenario
    run spread over worker processes (their merged numbers are what every output sees); ``on_finished``
    is handed the finished run before its outputs stop (``loadpulse plan`` reports its runs together)."""
    err = stderr_console()
    # With the JSON on stdout, everything for humans goes to stderr so the JSON stays parseable.
    human = err if flags.get("json_out") == "-" else stdout_console()
    hidden = tuple(run_secrets_of(description, flags.get("secret") or ()))
    drift = drift_choice(flags)  # a bad --drift-min is bad input before the load
    run = run_info(description, hidden)
    params = OutputParams(flags, human, err, run, thresholds, hidden)

    def finish(outcome: RunOutcome) -> Finished:
        outcome.run_id = new_run_id(outcome)
        verdicts = evaluate(thresholds, outcome.aggregate)
        summary = redact_values(build_summary(outcome, verdicts, drift), hidden)
        results = results_of(outcome, summary)
        results.settings = redact_values(results.settings, hidden)
        results.names = {redact_values(k, hidden): v for k, v in results.names.items()}
        for st in results.scenarios.values():  # a script error's message may quote a token
            st.script_error_messages = redact_values(st.script_error_messages, hidden)
        return Finished(results, outcome)

    outputs = OutputSet(build_outputs(params), thresholds, finish)
    # Output paths, the probes, the history store, the baseline and the ports are checked before the load:
    # a wrong path or URL is bad input, not a finding after a 10-minute run.
    outputs.check_files()
    # Faults are checked before the load too (schedule, contradictions); kill targets and proxies when the
    # run starts them, first of its services.
    chaos = fault_runner_for(
        description, flags.get("fault"), flags.get("proxy"), thresholds, outputs.on_fault
    )
    sampler = _sampler(description, flags, thresholds, err)
    live: set[str] = set()

    def said_live(message: str) -> None:
        """A warning printed as it happens (a lost worker): not printed again before the summary."""
        live.add(message)
        err.print(f"[yellow]warning:[/] {markup_safe(message)}", highlight=False)

    with outputs:
        try:
            outputs.start(run)
            kw: dict[str, Any] = {
                "sampler": sampler,
                "services": [*([chaos] if chaos is not None else []), *outputs.services],
                "on_outcome": outputs.on_outcome,
            }
            if workers is not None:
                outcome = execute_workers(
                    description,
                    workers.ref,
                    workers.count,
                    outputs.listener,
                    abort_on_loss=workers.abort_on_loss,
                    warn=said_live,
                    launcher=workers.launcher,
                    on_drain=outputs.on_drain,
                    **kw,
                )
            elif isinstance(description, Plan):
                outcome = execute_plan(description, outputs.listener, on_drain=outputs.on_drain, **kw)
            else:
                outcome = execute(description, outputs.listener, **kw)
        finally:
            if sampler is not None:
                sampler.close()
        finished = outputs.finished or finish(outcome)
        if on_finished is not None:
            on_finished(finished)
        _warn(outcome, finished, sampler, err, live)
        problems = outputs.stop(finished)
    code = exit_code(outcome, finished.summary["verdict"], bool(flags.get("fail_on_warn")))
    # An output that could not be written is said once every other output and the history row are saved;
    # the exit code is 2 whatever the verdict, so CI never reads a missing report as a PASS or a FAIL.
    for line in problems:
        fail(line)
    return EXIT_BAD_INPUT if problems else code


def run_info(description: RunDescription, hidden: Sequence[str]) -> RunInfo:
    if isinstance(description, Plan):
        title = redact_values(description.source, hidden)
        return RunInfo(title, description.planned_s, None, planned_iterations(description))
    load = description.load
    return RunInfo(redact_values(description.request.url, hidden), load.effective_duration_s, load.requests)


def _sampler(
    description: RunDescription, flags: Flags, thresholds: Sequence[Threshold], err: Console
) -> ProbeSampler | None:
    """The target probes (--probe, a scenario's probes), checked before the load."""
    sampler = build_sampler(
        tuple(flags.get("probe") or ()),
        description.probes if isinstance(description, Plan) else None,
        warn=lambda message: err.print(f"[yellow]warning:[/] {markup_safe(message)}", highlight=False),
    )
    try:
        if sampler is not None:
            sampler.check()  # first: a SQL or Redis probe knows whether it gives groups once it answered
        check_probe_thresholds(thresholds, sampler)
    except BadInput:
        if sampler is not None:
            sampler.close()
        raise
    return sampler


def _warn(
    outcome: RunOutcome,
    finished: Finished,
    sampler: ProbeSampler | None,
    err: Console,
    live: set[str] | None = None,
) -> None:
    """What went wrong in the run itself, before its summary (``live``: warnings printed already)."""
    said = (set(sampler.warnings) if sampler is not None else set()) | (live or set())
    for warning in outcome.warnings:
        if warning not in said:  # those were printed as they happened
            err.print(f"[yellow]warning:[/] {markup_safe(warning)}", highlight=False)
    if outcome.abort_reason:
        err.print(f"[red]aborted:[/] {markup_safe(outcome.abort_reason)}", highlight=False)
    for reason in finished.summary["generator"]["reasons"]:
        err.print(f"[yellow]warning:[/] generator-limited: {markup_safe(reason)}", highlight=False)


def run_secrets_of(description: RunDescription, given: Sequence[str]) -> list[str]:
    """Every credential of the run (URL passwords, secret headers, secret --env values, --secret): what
    every output replaces, wherever it appears."""
    if isinstance(description, Plan):
        return run_secrets([description.base_url or ""], description.headers, description.env, given)
    reqs = description.requests
    return run_secrets([r.url for r in reqs], [h for r in reqs for h in r.headers], None, given)

"""`loadpulse capacity URL|FILE --slo ...`: find the highest load the target sustains within its objectives.

The policy (grow, bisect, settle, generator limits) is :mod:`loadpulse.profiles.capacity_search`; each step
is a run (:mod:`loadpulse.cli.capacity_step`) saved in the history; docs/capacity.md says how to read it.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from time import perf_counter
from typing import Annotated, Any

import typer
from rich.console import Console

from loadpulse.cli.capacity_options import CapacityFlags, capacity_options, search_settings
from loadpulse.cli.capacity_recovery import cool_down
from loadpulse.cli.capacity_report import answer, capacity_document, header, rate_text, step_row
from loadpulse.cli.capacity_slo import parse_slos, tightest_latency_ms, unmeasured
from loadpulse.cli.capacity_step import StepSettings, run_step
from loadpulse.cli.capacity_target import FileTarget, UrlTarget
from loadpulse.cli.console import fail, stderr_console, stdout_console
from loadpulse.cli.runner import run_secrets_of
from loadpulse.errors import BadInput
from loadpulse.outputs.files import check_writable, write_text_atomic
from loadpulse.profiles.capacity_search import (
    STOP_GENERATOR,
    STOP_INTERRUPTED,
    STOP_UNREACHABLE,
    CapacitySearch,
    SearchSettings,
)
from loadpulse.profiles.capacity_settle import SettleRule
from loadpulse.redaction import redact_values
from loadpulse.spec import request_name
from loadpulse.thresholds.threshold import Threshold

EXIT_OK, EXIT_NOTHING, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


@capacity_options
def capacity(
    target: Annotated[
        str,
        typer.Argument(
            help="An http(s):// URL (requests/s), or a scenario file .py/.yaml (iterations/s).",
            show_default=False,
        ),
    ],
    flags: CapacityFlags,
) -> int:
    """Find the highest rate (or, with --vus, VU count) the target sustains within every --slo.

    Open-model steps grow from --start-rate until one misses an objective, then bisect between the last \
that met them all and the first that did not. Every step is saved in the history (tag capacity:ID). \
See docs/capacity.md."""
    err = stderr_console()
    human = err if flags["json_out"] == "-" else stdout_console()
    settings = search_settings(flags)
    problems = settings.problems()
    if problems:
        raise BadInput(problems[0])
    description = _target(target, flags)
    slos = _slos(description, flags)
    if flags["html"] == "-":
        raise BadInput("--html needs a file path: the report is a page, not a stream")
    check_writable(
        t for t in (("--json", flags["json_out"]), ("--html", flags["html"])) if t[1] not in (None, "-")
    )
    unit = "VUs" if settings.integer else ("iterations/s" if isinstance(description, FileTarget) else "req/s")
    started = datetime.now(UTC)
    search_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    latency_bound = tightest_latency_ms(slos)
    settle = SettleRule(
        min_hold_s=min(5.0, settings.step_duration_s / 2),
        floor_ms=max(2.0, 0.1 * latency_bound) if latency_bound is not None else 2.0,
    )
    step_settings = StepSettings(
        slos=slos,
        settle=settle,
        search_id=search_id,
        open_model=not settings.integer,
        flags={k: flags[k] for k in ("no_history", "store", "run_name", "tag", "secret", "probe")},
        err=err,
    )
    search = CapacitySearch(settings)
    human.print(
        f"capacity search {search_id}: {len(slos)} objective(s), from {settings.start:g} "
        f"{'VUs' if settings.integer else unit}, steps up to {settings.step_duration_s:g} s",
        highlight=False,
    )
    header(human)
    code, t0 = EXIT_OK, perf_counter()
    try:
        while (rate := search.next_rate(perf_counter() - t0)) is not None:
            step_s, vus = settings.step_duration_s, settings.integer
            _recover(human, search, description, settings, settle, perf_counter() - t0)
            what = f"step {len(search.steps) + 1}: {rate_text(rate, unit)} for up to {step_s:g} s\u2026"
            with human.status(what, refresh_per_second=4):
                run = description.at(rate, vus, step_s)
                workers = description.workers_at(run, rate, vus, step_s) if description.workers else None
                step = run_step(run, rate, step_settings, workers)
            first_step = len(search.steps) == 0 and step.observation.unreachable is None
            if first_step and (missing := unmeasured(step.results)) is not None:
                raise BadInput(
                    f"--slo {missing!r} cannot be measured: the first step ({rate:g} {unit}) gave it no data"
                )
            for line in step.problems:
                fail(line)
                code = EXIT_BAD_INPUT
            search.record(step.observation)
            step_row(human, len(search.steps), step.observation, unit)
    except KeyboardInterrupt:
        search.stop(STOP_INTERRUPTED)
    result = search.result(unit)
    human.print(answer(result, unit), highlight=False)
    doc = capacity_document(
        result,
        unit=unit,
        search_id=search_id,
        started_at=started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        target=description.title,
        slos=[s.expression for s in slos],
        settings=_settings_doc(settings, settle),
    )
    # URL passwords, secret headers and --env values, and --secret, as every run's outputs hide them.
    first = description.at(settings.start, settings.integer, settings.step_duration_s)
    doc = redact_values(doc, tuple(run_secrets_of(first, flags["secret"] or ())))
    _write(doc, flags)
    if result.stopped_by == STOP_INTERRUPTED:
        return EXIT_INTERRUPTED
    if code != EXIT_OK:
        return code
    if result.stopped_by == STOP_UNREACHABLE:
        return EXIT_NOTHING
    if result.stopped_by == STOP_GENERATOR:
        return EXIT_OK  # bounded by the generator, even before any rate passed: the message says which
    return EXIT_NOTHING if result.max_rate is None else EXIT_OK


def _recover(
    human: Console,
    search: CapacitySearch,
    target: UrlTarget | FileTarget,
    settings: SearchSettings,
    settle: SettleRule,
    elapsed_s: float,
) -> None:
    """After a failed step, wait (at most a step's duration, within --max-duration) until a light probe
    sees the target's latency back near the last passing step's: its backlog is not the next step's."""
    last = search.steps[-1] if search.steps else None
    if last is None or last.passed or last.generator_limited is not None or last.unreachable is not None:
        return
    budget = settings.step_duration_s
    if settings.max_duration_s is not None:
        budget = min(budget, settings.max_duration_s - elapsed_s - settings.step_duration_s)
    if budget <= 0:
        return
    with human.status("cool-down: waiting for the target to recover\u2026", refresh_per_second=4):
        done = cool_down(
            target, search.lo, last, vus=settings.integer, budget_s=budget, floor_ms=settle.floor_ms
        )
    if not done.recovered:
        before = f"{done.baseline_p50_ms:,.3g} ms" if done.baseline_p50_ms is not None else "unknown"
        now = f"{done.probe_p50_ms:,.3g} ms" if done.probe_p50_ms is not None else "no answer"
        human.print(
            f"      [yellow]the target had not recovered after {done.waited_s:.1f} s (probe p50 {now}, "
            f"{before} at the last passing step): the next step may measure its backlog[/]",
            highlight=False,
        )


def _target(target: str, flags: CapacityFlags) -> UrlTarget | FileTarget:
    from loadpulse.cli.capacity_options import file_target, url_target

    if target.lower().startswith(("http://", "https://")):
        return url_target(target, flags)
    return file_target(target, flags)


def _slos(description: UrlTarget | FileTarget, flags: CapacityFlags) -> list[Threshold]:
    probes = [p.partition("=")[0] for p in flags["probe"] or ()]
    if isinstance(description, FileTarget):
        src = description.source
        return parse_slos(
            flags["slo"],
            scenario=True,
            pipeline=src.pipeline is not None or bool(description.options.sinks),
            probes=[*probes, *src.probes],
            custom=src.metrics,
        )
    names = [request_name(description.request)]
    return parse_slos(flags["slo"], scenario=False, pipeline=False, probes=probes, names=names)


def _settings_doc(settings: SearchSettings, settle: SettleRule) -> dict[str, Any]:
    return {
        "start": settings.start,
        "max_rate": settings.max_rate,
        "growth": settings.growth,
        "precision": settings.precision,
        "step_duration_s": settings.step_duration_s,
        "max_duration_s": settings.max_duration_s,
        "settle": {
            "min_hold_s": settle.min_hold_s,
            "window": settle.window,
            "tolerance": settle.tolerance,
            "floor_ms": settle.floor_ms,
        },
    }


def _write(doc: dict[str, Any], flags: CapacityFlags) -> None:
    path = flags["json_out"]
    if path == "-":
        typer.echo(json.dumps(doc, indent=2))
    elif path is not None:
        write_text_atomic(path, json.dumps(doc, indent=2) + "\n")
    if flags["html"] is not None:
        from loadpulse.outputs.html_capacity import write_capacity_html

        write_capacity_html(doc, flags["html"])

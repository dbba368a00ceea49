"""A plan's runs built as ``loadpulse run`` and ``loadpulse http`` build theirs: a scenario's Plan or the
one-liner's RunSpec, its thresholds resolved, the flags its outputs read. Every run is built before the
first starts, so a bad value in the last run is exit 2 with nothing sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loadpulse.cli.http import positive, read_body
from loadpulse.cli.run import make_options, plan_of
from loadpulse.cli.run_options import RUN_OPTIONS
from loadpulse.cli.runner import RunDescription
from loadpulse.errors import BadInput
from loadpulse.protocols.http.request import parse_header
from loadpulse.protocols.http.url import parse_url
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_file import PlannedRun
from loadpulse.spec import METHODS, LoadSpec, RequestSpec, RunSpec, TimeoutSpec, validated
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.threshold import Threshold
from loadpulse.units import parse_duration

# The one-liner's defaults, as `loadpulse http` declares them.
CONNECTIONS = 50
TIMEOUT, CONNECT_TIMEOUT, GRACE = "10s", "5s", "2s"


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """What the `plan` command line says for every run."""

    plan_name: str
    quiet: bool = False
    no_progress: bool = False
    fail_on_warn: bool = False
    no_history: bool = False
    store: str | None = None
    tags: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    env: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PreparedRun:
    run: PlannedRun
    description: RunDescription
    thresholds: list[Threshold]
    flags: dict[str, Any]


def plan_tag(plan_name: str) -> str:
    """The history tag every run of a plan carries: ``loadpulse history --tag plan:NAME``."""
    return f"plan:{plan_name}"


def run_flags(run: PlannedRun, settings: PlanSettings) -> dict[str, Any]:
    """The run's output flags: what a `run`/`http` command line would give, with the plan's own reports
    (HTML, JSON, JUnit) written by the plan instead of per run."""
    flags: dict[str, Any] = {name: default for name, _, default in RUN_OPTIONS}
    o = run.options
    flags.update(
        quiet=settings.quiet,
        no_progress=settings.no_progress,
        threshold=list(o.get("thresholds") or ()),
        abort_on_fail=bool(o.get("abort_on_fail")),
        fail_on_warn=settings.fail_on_warn,
        no_history=settings.no_history,
        store=settings.store,
        run_name=f"{settings.plan_name}/{run.name}",
        tag=sorted({plan_tag(settings.plan_name), *settings.tags, *(o.get("tags") or ())}),
        probe=list(o.get("probes") or ()) or None,
        secret=list(settings.secrets) or None,
    )
    return flags


def prepare(run: PlannedRun, settings: PlanSettings) -> PreparedRun:
    """The run built and checked; BadInput names the plan file, its line and the run."""
    flags = run_flags(run, settings)
    try:
        if run.kind == "scenario":
            scenario = _scenario(run, settings)
            description: RunDescription = scenario
            thresholds = parse_thresholds(scenario.thresholds, scenario.metrics, flags["abort_on_fail"])
        else:
            description = one_liner_spec(run.target, run.options)
            thresholds = parse_thresholds(flags["threshold"], abort_on_fail=flags["abort_on_fail"])
        check_before_load(description, thresholds, flags)
    except BadInput as exc:
        # One line: a threshold's caret picture (its detail) would point into a command line, not the file.
        raise BadInput(f"{run.where} ({run.name}): {_plan_words(str(exc))}") from None
    return PreparedRun(run, description, thresholds, flags)


def _plan_words(message: str) -> str:
    """A message about a command-line flag, said with the plan key that gave it (probes:, sink:)."""
    for flag, key in (("--probe ", "probes: "), ("--sink ", "sink: ")):
        if message.startswith(flag):
            return key + message.removeprefix(flag)
    return message


def check_before_load(
    description: RunDescription, thresholds: list[Threshold], flags: dict[str, Any]
) -> None:
    """What `run_and_report` refuses before the load, refused before the plan's first run instead: the
    drift flags, the probes (built, not sampled: a probe's target may be started by an earlier run) and
    the thresholds on them, the pipeline sinks, the fault schedule. A bad probe in the last run would
    otherwise be exit 2 after the runs before it had sent their load."""
    from loadpulse.cli.drift_options import drift_choice
    from loadpulse.cli.fault_options import fault_runner_for
    from loadpulse.probes.build import build_sampler, check_probe_thresholds
    from loadpulse.probes.sink_spec import parse_sink

    drift_choice(flags)
    plan = description if isinstance(description, Plan) else None
    sampler = build_sampler(tuple(flags.get("probe") or ()), plan.probes if plan is not None else None)
    try:
        check_probe_thresholds(thresholds, sampler)
    finally:
        if sampler is not None:
            sampler.close()
    if plan is not None and plan.pipeline is not None:
        for i, sink in enumerate(plan.pipeline.sinks):
            parse_sink(sink, plan.pipeline.origin(i))
    fault_runner_for(description, flags.get("fault"), flags.get("proxy"), thresholds)


def _scenario(run: PlannedRun, settings: PlanSettings) -> Plan:
    o = run.options
    env = [f"{k}={v}" for k, v in (o.get("env") or {}).items()] + list(settings.env)
    options = make_options(
        profile=o.get("profile"),
        preset=o.get("preset"),
        vus=o.get("vus"),
        rate=o.get("rate"),
        duration=o.get("duration"),
        iterations=o.get("iterations"),
        stage=o.get("stages"),
        max_vus=o.get("max_vus"),
        base_url=o.get("base_url"),
        env=env,
        timeout=o.get("timeout") or TIMEOUT,
        connect_timeout=o.get("connect_timeout") or CONNECT_TIMEOUT,
        grace=o.get("grace") or GRACE,
        insecure=bool(o.get("insecure")),
        thresholds=o.get("thresholds"),
        sink=o.get("sink"),
        drain_timeout=o.get("drain_timeout"),
        stuck_after=o.get("stuck_after"),
    )
    return plan_of(run.target, options)


def one_liner_spec(url: str, o: dict[str, Any]) -> RunSpec:
    """The RunSpec `loadpulse http URL` builds from the same flags (cli/http.py), without --sink."""
    parse_url(url)
    positive(o.get("rate"), "rate")
    headers = [parse_header(h) for h in o.get("headers") or ()]
    json_body = o.get("json_body")
    if json_body is not None and not isinstance(json_body, str):
        json_body = json.dumps(json_body)  # a YAML mapping or list is the JSON body itself
    payload, content_type = read_body(o.get("body"), json_body)
    if content_type and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", content_type))
    verb = str(o.get("method") or ("POST" if payload is not None else "GET")).upper()
    if verb not in METHODS:
        raise BadInput(f"method: unknown method {verb!r}: use one of {', '.join(METHODS)}")
    total_s = parse_duration(o.get("timeout") or TIMEOUT, "timeout")
    duration = o.get("duration")
    return validated(
        RunSpec,
        requests=(
            validated(
                RequestSpec,
                url=url,
                method=verb,
                headers=tuple(headers),
                body=payload,
                name=o.get("request_name"),
            ),
        ),
        load=validated(
            LoadSpec,
            connections=o.get("connections") or CONNECTIONS,
            requests=o.get("requests"),
            duration_s=parse_duration(duration, "duration") if duration is not None else None,
            rate=o.get("rate"),
            max_in_flight=o.get("max_in_flight"),
        ),
        timeouts=validated(
            TimeoutSpec,
            connect_s=parse_duration(o.get("connect_timeout") or CONNECT_TIMEOUT, "connect_timeout"),
            read_s=total_s,
            total_s=total_s,
        ),
        insecure=bool(o.get("insecure")),
        grace_s=parse_duration(o.get("grace") or GRACE, "grace"),
    )

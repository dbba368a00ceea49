"""`loadpulse run FILE.py|FILE.yaml`: a scripted scenario under a load profile or preset."""

from __future__ import annotations

from typing import Annotated

import typer

from loadpulse.bounds import spread_over
from loadpulse.cli.http import positive
from loadpulse.cli.pipeline_options import DrainTimeoutOpt, SinkOpt, StuckAfterOpt, pipeline_durations
from loadpulse.cli.run_options import Flags, with_run_options
from loadpulse.cli.runner import run_and_report
from loadpulse.cli.worker_options import (
    MAX_WORKERS,
    AbortOnLossOpt,
    ClusterOpt,
    ReserveCoresOpt,
    WorkersOpt,
    cluster_session,
    worker_count,
    worker_setup,
)
from loadpulse.engine.ray_cluster import parse_cluster
from loadpulse.errors import BadInput
from loadpulse.metrics.cardinality import MAX_NAMES, MAX_NAMES_LIMIT
from loadpulse.profiles.presets import PRESETS, Overrides
from loadpulse.protocols.http.url import parse_url
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.model import Plan
from loadpulse.scenario.source import RunOptions, build_plan
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.units import parse_duration

PRESET_HELP = "; ".join(f"{p.name}: {p.purpose}" for p in PRESETS.values())


def parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--env {pair!r} is not KEY=VALUE")
        env[key.strip()] = value
    return env


def make_options(
    *,
    profile: str | None = None,
    preset: str | None = None,
    vus: int | None = None,
    rate: float | None = None,
    duration: str | None = None,
    iterations: int | None = None,
    stage: list[str] | None = None,
    max_vus: int | None = None,
    base_url: str | None = None,
    env: list[str] | None = None,
    timeout: str = "10s",
    connect_timeout: str = "5s",
    grace: str = "2s",
    insecure: bool = False,
    thresholds: list[str] | None = None,
    max_names: int = MAX_NAMES,
    sink: list[str] | None = None,
    drain_timeout: str | None = None,
    stuck_after: str | None = None,
) -> RunOptions:
    """Everything the command line says about a scenario run, checked."""
    if profile is not None and preset is not None:
        raise BadInput("give either --profile or --preset, not both")
    if preset == "breakpoint":
        # Seed 001's breaking point is found by a search (docs/capacity.md), not run as one load shape.
        raise BadInput(
            "--preset breakpoint is a search: use `loadpulse capacity FILE --preset breakpoint --slo ...`"
        )
    if preset is not None and preset not in PRESETS:
        from loadpulse.profiles.registry import did_you_mean

        raise BadInput(f"--preset: unknown preset {preset!r}{did_you_mean(preset, list(PRESETS))}")
    positive(vus, "--vus")
    positive(rate, "--rate")
    positive(iterations, "--iterations")
    positive(max_vus, "--max-vus")
    if not 1 <= max_names <= MAX_NAMES_LIMIT:
        raise BadInput(f"--max-names {max_names}: keep 1 to {MAX_NAMES_LIMIT:,} distinct request names")
    if base_url is not None:
        parse_url(base_url)
    overrides = Overrides(
        vus=vus,
        rate=rate,
        duration_s=parse_duration(duration, "-d/--duration") if duration is not None else None,
        iterations=iterations,
        stages=tuple(stage or ()),
        max_vus=max_vus,
    )
    total_s = parse_duration(timeout, "--timeout")
    drain_s, stuck_s = pipeline_durations(drain_timeout, stuck_after)
    return RunOptions(
        profile=profile or preset,
        overrides=overrides,
        base_url=base_url,
        env=parse_env(env or []),
        insecure=insecure,
        timeout_s=total_s,
        connect_timeout_s=parse_duration(connect_timeout, "--connect-timeout"),
        grace_s=parse_duration(grace, "--grace", allow_zero=True),
        extra_thresholds=tuple(thresholds or ()),
        max_names=max_names,
        sinks=tuple(sink or ()),
        drain_timeout_s=drain_s,
        stuck_after_s=stuck_s,
    )


def plan_of(file: str, options: RunOptions) -> Plan:
    """The scenario file's plan under the command line's options (:func:`make_options`)."""
    plan = build_plan(load_scenario(file), options)
    if plan.base_url is not None:
        parse_url(plan.base_url)
    return plan


@with_run_options
def run(
    file: Annotated[
        str, typer.Argument(help="Scenario file: Python (.py) or YAML (.yaml/.yml).", show_default=False)
    ],
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="A load profile (constant-vus, ramping-vus, constant-rate, ramping-rate, shared-iterations, "
            "per-vu-iterations) or a preset name; replaces the file's profiles.",
        ),
    ] = None,
    preset: Annotated[str | None, typer.Option("--preset", help=f"A preset. {PRESET_HELP}.")] = None,
    vus: Annotated[
        int | None, typer.Option("--vus", help="Virtual users (or max VUs of a rate profile).")
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", help="Iterations started per second (open model; latency from intended start)."
        ),
    ] = None,
    duration: Annotated[str | None, typer.Option("-d", "--duration", help="How long (30s, 5m, 1h).")] = None,
    iterations: Annotated[
        int | None, typer.Option("-i", "--iterations", help="Total iterations shared by the VUs.")
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="DURATION:TARGET ramp stage, repeatable. TARGET counts VUs for a VU profile (30s:100 or "
            "30s:100vus) and iterations started per second for a rate profile or with --rate (30s:100 or "
            "30s:100/s); a unit that contradicts the profile is refused. The summary's profile says which "
            "(stage_unit).",
        ),
    ] = None,
    max_vus: Annotated[
        int | None, typer.Option("--max-vus", help="Open model: most iterations at once; more are dropped.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", "-u", help="Where relative URLs go (overrides the file's).")
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="KEY=VALUE given to scripts as ctx.env; repeatable."),
    ] = None,
    timeout: Annotated[str, typer.Option("--timeout", help="Give up on a request after this long.")] = "10s",
    connect_timeout: Annotated[
        str, typer.Option("--connect-timeout", help="Give up on a connection attempt after this long.")
    ] = "5s",
    grace: Annotated[
        str, typer.Option("--grace", help="After Ctrl-C, how long running iterations may still finish.")
    ] = "2s",
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Skip TLS certificate verification.")
    ] = False,
    max_names: Annotated[
        int,
        typer.Option(
            "--max-names",
            help="Distinct request names kept apart, per process (a memory bound); later ones are counted "
            "under '(other)' with a warning. Names that thresholds point at are always kept.",
        ),
    ] = MAX_NAMES,
    sink: SinkOpt = None,
    drain_timeout: DrainTimeoutOpt = None,
    stuck_after: StuckAfterOpt = None,
    workers: WorkersOpt = None,
    reserve_cores: ReserveCoresOpt = None,
    abort_on_worker_loss: AbortOnLossOpt = False,
    cluster: ClusterOpt = None,
    *,
    flags: Flags,
) -> int:
    """Run a Python or YAML scenario under a load profile or preset (see docs/profiles.md)."""
    if cluster is not None:
        parse_cluster(cluster)  # a malformed address is said before anything else
        workers = workers or "auto"
    # A wrong count is said before the file is read; a cluster's CPUs are known once connected.
    unknown = (MAX_WORKERS, MAX_WORKERS) if cluster is not None else None
    processes = worker_count(workers, reserve_cores, unknown)
    options = make_options(
        profile=profile,
        preset=preset,
        vus=vus,
        rate=rate,
        duration=duration,
        iterations=iterations,
        stage=stage,
        max_vus=max_vus,
        base_url=base_url,
        env=env,
        timeout=timeout,
        connect_timeout=connect_timeout,
        grace=grace,
        insecure=insecure,
        thresholds=flags["threshold"],
        max_names=max_names,
        sink=sink,
        drain_timeout=drain_timeout,
        stuck_after=stuck_after,
    )
    with spread_over(processes):  # per-process bounds are for each worker's part, checked as it is cut
        plan = plan_of(file, options)
    with cluster_session(cluster, file) as ray_cluster:
        setup = worker_setup(file, options, plan, workers, reserve_cores, abort_on_worker_loss, ray_cluster)
        thresholds = parse_thresholds(plan.thresholds, plan.metrics, flags["abort_on_fail"])
        return run_and_report(plan, flags, thresholds, workers=setup)

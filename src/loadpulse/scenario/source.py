"""What a scenario file declares, before the command line has its say (shared by Python and YAML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.faults.spec import FaultPlan
from loadpulse.metrics.cardinality import MAX_NAMES
from loadpulse.profiles.base import ProfileConfig
from loadpulse.profiles.presets import PRESETS, Overrides, apply_overrides, preset_config
from loadpulse.profiles.registry import PROFILES, build_profile, did_you_mean
from loadpulse.scenario.chaos_spec import with_scenario_faults
from loadpulse.scenario.model import (
    DEFAULT_SCENARIO,
    DEFAULT_SETUP_TIMEOUT_S,
    Plan,
    ScenarioDef,
    SetupFn,
    TaskDef,
    TeardownFn,
)
from loadpulse.scenario.pipeline_spec import PipelineSpec, with_command_line
from loadpulse.units import duration_value

DEFAULT_PROFILE: dict[str, Any] = {"profile": "constant-vus", "vus": 10, "duration": 10}


@dataclass(slots=True)
class ScenarioSource:
    path: str
    tasks: dict[str, list[TaskDef]]
    """scenario name -> its tasks, in definition order."""
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """scenario name -> profile config (plus think_time) as written in the file."""
    profile: dict[str, Any] | None = None
    """The file's default profile for scenarios without their own."""
    base_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    thresholds: tuple[str, ...] = ()
    metrics: dict[str, str] = field(default_factory=dict)
    probes: dict[str, Any] = field(default_factory=dict)
    setup: SetupFn | None = None
    teardown: TeardownFn | None = None
    setup_timeout_s: float = DEFAULT_SETUP_TIMEOUT_S
    pipeline: PipelineSpec | None = None
    tracks_at: str | None = None
    """``file:line`` of the first ``track:`` of a YAML file: tracking with no sink is bad input there."""
    chaos: FaultPlan = field(default_factory=FaultPlan)
    """``faults`` and ``proxies`` (faults/spec.py); fault-only entries of ``scenarios`` are added here."""
    http2: bool = False
    """``http2 = True``: the file's ``ctx.http`` requests go over HTTP/2 (protocols/http2/script.py)."""
    env_refs: tuple[tuple[str, str], ...] = ()
    """``(file:line: YAML path, KEY)`` of each ``{{ env.KEY }}`` of a YAML file: a KEY without ``--env`` is
    bad input there, before the load."""


def named_profile(name: str, where: str = "--profile") -> dict[str, Any]:
    """A preset's config, or a bare profile with its defaults; 'did you mean' across both."""
    if name in PRESETS:
        return preset_config(name)
    if name in PROFILES:
        return {"profile": name}
    choices = [*PRESETS, *PROFILES]
    raise BadInput(f"{where}: unknown profile or preset {name!r}{did_you_mean(name, choices)}")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the command line adds to a scenario file."""

    profile: str | None = None
    overrides: Overrides = field(default_factory=Overrides)
    base_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    insecure: bool = False
    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    grace_s: float = 2.0
    extra_thresholds: tuple[str, ...] = ()
    max_names: int = MAX_NAMES
    sinks: tuple[str, ...] = ()
    drain_timeout_s: float | None = None
    stuck_after_s: float | None = None


def think_time_s(value: Any, where: str) -> float:
    return 0.0 if value is None else duration_value(value, f"{where}: think_time")


def _profile_for(src: ScenarioSource, name: str, opts: RunOptions) -> tuple[ProfileConfig, float]:
    own = dict(src.configs.get(name) or {})
    where = f"{src.path}: scenarios.{name}" if name in src.configs else f"{src.path}: profile"
    think = think_time_s(own.pop("think_time", None), f"{where}.think_time")
    if opts.profile is not None:
        base = named_profile(opts.profile)
        base.update({k: own[k] for k in ("start",) if k in own})
        where = "--profile"
    elif own:
        base = own
    elif src.profile is not None:
        base = dict(src.profile)
    else:
        base = dict(DEFAULT_PROFILE)
    cfg = apply_overrides(base, opts.overrides)
    return build_profile(cfg, where), think


def build_plan(src: ScenarioSource, opts: RunOptions) -> Plan:
    chaos, configs = with_scenario_faults(src.chaos, src.configs, src.tasks, src.path)
    if opts.profile is not None or opts.overrides.duration_s is not None:  # a fault past it names the flag
        flag = (
            "-d/--duration"
            if opts.profile is None
            else f"--{'preset' if opts.profile in PRESETS else 'profile'} {opts.profile}"
        )
        chaos = replace(chaos, planned_by=flag)
    if configs is not src.configs:  # fault-only scenarios are no load scenarios: no profile, no preset
        src = replace(src, configs=configs)
    for name in src.tasks:
        if name != DEFAULT_SCENARIO and name not in src.configs:
            hint = did_you_mean(name, list(src.configs)) if src.configs else ""
            raise BadInput(
                f"{src.path}: tasks name scenario {name!r}, which 'scenarios' does not declare{hint}"
            )
    for name in src.configs:
        if name not in src.tasks:
            raise BadInput(
                f"{src.path}: scenarios.{name} has no tasks; mark some with @task(scenario={name!r})"
            )
    scenarios = []
    for name, tasks in src.tasks.items():
        profile, think = _profile_for(src, name, opts)
        scenarios.append(ScenarioDef(name, tuple(tasks), profile, think))
    base_url = opts.base_url or src.base_url
    pipeline = with_command_line(src.pipeline, opts.sinks, opts.drain_timeout_s, opts.stuck_after_s)
    if pipeline is None and src.tracks_at is not None:
        raise BadInput(
            f"{src.tracks_at}: track: needs somewhere to look for the items: pipeline: {{sink: ...}} in the "
            "file, or --sink"
        )
    for where, key in src.env_refs:
        if key not in opts.env:
            raise BadInput(f"{where}: {{{{ env.{key} }}}}: env.{key} is not set (give --env {key}=...)")
    return Plan(
        source=src.path,
        scenarios=tuple(scenarios),
        base_url=base_url,
        headers=tuple(src.headers.items()),
        env=dict(opts.env),
        setup=src.setup,
        teardown=src.teardown,
        thresholds=(*src.thresholds, *opts.extra_thresholds),
        metrics=dict(src.metrics),
        probes=dict(src.probes),
        insecure=opts.insecure,
        http2=src.http2,
        connect_timeout_s=opts.connect_timeout_s,
        timeout_s=opts.timeout_s,
        grace_s=opts.grace_s,
        setup_timeout_s=src.setup_timeout_s,
        max_names=opts.max_names,
        pipeline=pipeline,
        chaos=chaos,
    )

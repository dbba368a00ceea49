"""Test plans: an ordered list of runs read from YAML, checked whole before anything runs.

    name: ingestor-presets               # default: the file's stem
    defaults:                            # applied to every run unless it says otherwise
      base_url: http://127.0.0.1:8000    # thresholds, tags and probes add up, env merges (the run wins)
      thresholds: ["errors.rate < 1%"]
    runs:
      - name: quick
        scenario: ../004_message_ingestor/quick.py    # relative to this file; or url: (the one-liner)
        preset: quick
        stop_on_fail: true                            # the plan stops here if this run fails
      - pause: 30s                                    # wait between two runs
      - url: /health                                  # joined to base_url when it starts with /
        connections: 20
        duration: 5s

A run's keys are the command-line flags of ``loadpulse run`` (scenario runs) and ``loadpulse http``
(url runs), with ``_`` for ``-`` and ``stages`` for the repeatable ``--stage``. Errors name the line and
the YAML path like the scenario loader: ``plan.yaml:9: runs[2].stop_on_fial: unknown key; did you mean
'stop_on_fail'?``. Only what a file can tell is checked here (keys, values, files, presets); building each
run (loading its scenario, resolving its thresholds) is the command's (cli/plan_runs.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loadpulse.errors import BadInput
from loadpulse.profiles.presets import PRESETS
from loadpulse.profiles.registry import did_you_mean, format_loc
from loadpulse.scenario.plan_wording import plan_value_problem
from loadpulse.scenario.yaml_limits import read_yaml_document
from loadpulse.scenario.yaml_lines import YamlLines
from loadpulse.units import parse_duration

Duration = Annotated[str, Field(min_length=1)]
Positive = Annotated[int, Field(gt=0)]


def _duration_text(value: Any) -> Any:
    # A bare number in YAML is seconds, as on the command line.
    return f"{value:g}s" if isinstance(value, int | float) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunFields(_Strict):
    """What a run (or the plan's ``defaults``) can set: the flags of ``run`` and ``http``."""

    # scenario runs (loadpulse run)
    profile: str | None = None
    preset: str | None = None
    vus: Positive | None = None
    iterations: Positive | None = None
    stages: list[str] | None = None
    max_vus: Positive | None = None
    base_url: str | None = None
    env: dict[str, str] | None = None
    sink: list[str] | None = None
    drain_timeout: Duration | None = None
    stuck_after: Duration | None = None
    # url runs (loadpulse http)
    connections: Positive | None = None
    requests: Positive | None = None
    max_in_flight: Positive | None = None
    method: str | None = None
    headers: list[str] | None = None
    body: str | None = None
    json_body: Any = None
    request_name: str | None = None
    # both
    rate: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    duration: Duration | None = None
    timeout: Duration | None = None
    connect_timeout: Duration | None = None
    grace: Duration | None = None
    insecure: bool | None = None
    thresholds: list[str] | None = None
    abort_on_fail: bool | None = None
    stop_on_fail: bool | None = None
    tags: list[str] | None = None
    probes: list[str] | None = None

    @field_validator(
        "duration", "timeout", "connect_timeout", "grace", "drain_timeout", "stuck_after", mode="before"
    )
    @classmethod
    def _duration(cls, value: Any, info: Any) -> Any:
        value = _duration_text(value)
        if isinstance(value, str):
            try:
                parse_duration(value, info.field_name, allow_zero=info.field_name == "grace")
            except BadInput as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, value: Any) -> Any:
        # `writers: 20` in YAML is an int; --env values are text, so is ctx.env.
        if isinstance(value, dict):
            return {k: str(v) if isinstance(v, int | float) else v for k, v in value.items()}
        return value

    @field_validator("preset")
    @classmethod
    def _preset(cls, value: str | None) -> str | None:
        if value is not None and value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}{did_you_mean(value, list(PRESETS))}")
        return value


class RunEntry(RunFields):
    name: Annotated[str, Field(min_length=1)] | None = None
    scenario: Annotated[str, Field(min_length=1)] | None = None
    url: Annotated[str, Field(min_length=1)] | None = None


class PauseEntry(_Strict):
    pause: Duration

    @field_validator("pause", mode="before")
    @classmethod
    def _pause(cls, value: Any) -> Any:
        value = _duration_text(value)
        if isinstance(value, str):
            try:
                parse_duration(value, "pause", allow_zero=True)
            except BadInput as exc:
                raise ValueError(str(exc)) from None
        return value


class PlanDoc(_Strict):
    name: Annotated[str, Field(min_length=1)] | None = None
    description: str | None = None
    defaults: RunFields = RunFields()
    runs: list[dict[str, Any]] = []


SCENARIO_ONLY = frozenset(
    {"profile", "preset", "vus", "iterations", "stages", "max_vus", "env", "sink"}
    | {"drain_timeout", "stuck_after"}
)
URL_ONLY = frozenset(
    {"connections", "requests", "max_in_flight", "method", "headers", "body", "json_body", "request_name"}
)
MAX_RUNS = 200
"""A plan is a checklist, not a loop: past this many runs its reports (one HTML page with every run's own
report in it) and the memory they take grow past what a browser or a CI job handles well."""
ADDED_UP = ("thresholds", "tags", "probes", "headers")
"""Lists the defaults and a run both give are joined (the defaults first), not replaced."""


@dataclass(frozen=True, slots=True)
class PlannedRun:
    """One run of the plan, defaults applied: ``options`` holds only what the file set for its kind."""

    index: int
    name: str
    kind: str
    """'scenario' or 'url'."""
    target: str
    """The scenario file (resolved) or the URL (base_url joined)."""
    options: dict[str, Any]
    where: str
    """``plan.yaml:LINE: runs[I]``: the prefix of a bad-input message about this run."""
    pause_before_s: float = 0.0

    @property
    def stop_on_fail(self) -> bool:
        return bool(self.options.get("stop_on_fail"))


@dataclass(frozen=True, slots=True)
class PlanFile:
    path: str
    name: str
    description: str | None
    runs: tuple[PlannedRun, ...]
    pause_after_s: float = 0.0
    """A trailing ``- pause:`` (kept so the plan does what it says; rarely useful)."""


def _unknown_key(model: type[BaseModel], lines: YamlLines, loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{lines.at(*loc)}: {format_loc(loc)}: unknown key{hint}"


def _checked(model: type[_Strict], raw: Any, lines: YamlLines, prefix: tuple[Any, ...]) -> Any:
    """``raw`` as ``model``, or BadInput ``file:line: path: problem`` (an unknown key first)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        err = extra[0] if extra else errors[0]
        loc = (*prefix, *err["loc"])
        if err["type"] == "extra_forbidden":
            owner: type[BaseModel] = model
            if len(err["loc"]) > 1 and err["loc"][0] == "defaults":
                owner = RunFields
            raise BadInput(_unknown_key(owner, lines, loc)) from None
        raise BadInput(f"{lines.at(*loc)}: {format_loc(loc)}: {plan_value_problem(err)}") from None


def _kind_check(entry: RunEntry, lines: YamlLines, i: int) -> str:
    if (entry.scenario is None) == (entry.url is None):
        raise BadInput(
            f"{lines.at('runs', i)}: runs[{i}]: give either scenario: (a .py or .yaml file) or url: "
            "(the one-liner's URL)" + (", not both" if entry.scenario is not None else "")
        )
    kind = "scenario" if entry.scenario is not None else "url"
    foreign = URL_ONLY if kind == "scenario" else SCENARIO_ONLY
    for key in sorted(entry.model_fields_set & foreign):
        other = "url" if kind == "scenario" else "scenario"
        hint = " (use connections)" if key == "vus" and kind == "url" else ""
        raise BadInput(
            f"{lines.at('runs', i, key)}: runs[{i}].{key}: applies to {other} runs, not to a {kind} run{hint}"
        )
    return kind


def _merged(defaults: RunFields, entry: RunEntry, kind: str) -> dict[str, Any]:
    foreign = URL_ONLY if kind == "scenario" else SCENARIO_ONLY
    out: dict[str, Any] = {}
    for key in RunFields.model_fields:
        if key in foreign:
            continue
        mine, theirs = getattr(entry, key), getattr(defaults, key)
        if key in ADDED_UP and (mine or theirs):
            out[key] = [*(theirs or ()), *(mine or ())]
        elif key == "env" and (mine or theirs):
            out[key] = {**(theirs or {}), **(mine or {})}
        elif mine is not None:
            out[key] = mine
        elif theirs is not None:
            out[key] = theirs
    return out


def _target(entry: RunEntry, options: dict[str, Any], folder: Path, lines: YamlLines, i: int) -> str:
    if entry.scenario is not None:
        file = Path(entry.scenario).expanduser()
        file = (file if file.is_absolute() else folder / file).resolve()
        if not file.is_file():
            raise BadInput(
                f"{lines.at('runs', i, 'scenario')}: runs[{i}].scenario: file {entry.scenario!r} not found "
                f"(paths are relative to the plan's folder, {str(folder)!r})"
            )
        return str(file)
    url = str(entry.url)
    if url.startswith("/"):
        base = options.pop("base_url", None)
        if base is None:
            raise BadInput(
                f"{lines.at('runs', i, 'url')}: runs[{i}].url: {url!r} is relative: give defaults.base_url "
                "(or --base-url) or an absolute http:// URL"
            )
        return str(base).rstrip("/") + url
    options.pop("base_url", None)
    return url


def _default_name(kind: str, target: str, options: dict[str, Any]) -> str:
    # A URL's name is its host and path: never its userinfo (a password would be in every report).
    if kind == "scenario":
        base = Path(target).stem
    else:
        parts = urlsplit(target)
        base = parts.netloc.rpartition("@")[2] + parts.path
    preset = options.get("preset") or options.get("profile")
    return f"{base} {preset}" if preset else base


def load_plan(path: str, base_url: str | None = None) -> PlanFile:
    """The plan at ``path``, every run checked (keys, values, scenario files) before any runs; ``base_url``
    (``--base-url``) replaces the defaults' and every run's."""
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"plan file {path!r} not found")
    raw, root = read_yaml_document(file, path)
    lines = YamlLines(path, root)
    if not isinstance(raw, dict):
        raise BadInput(f"{lines.at()}: the top level must be a mapping (name:, defaults:, runs:)")
    doc: PlanDoc = _checked(PlanDoc, raw, lines, ())
    folder = file.resolve().parent
    runs: list[PlannedRun] = []
    pause = 0.0
    names: dict[str, int] = {}
    for i, item in enumerate(doc.runs):
        if isinstance(item, dict) and "pause" in item:
            if len(item) > 1:
                raise BadInput(
                    f"{lines.at('runs', i)}: runs[{i}]: a pause entry holds only pause: (say - pause: 30s "
                    "on its own, between two runs)"
                )
            pause += parse_duration(_checked(PauseEntry, item, lines, ("runs", i)).pause, "pause", True)
            continue
        entry: RunEntry = _checked(RunEntry, item, lines, ("runs", i))
        kind = _kind_check(entry, lines, i)
        options = _merged(doc.defaults, entry, kind)
        if base_url is not None:
            options["base_url"] = base_url
        target = _target(entry, options, folder, lines, i)
        name = entry.name or _default_name(kind, target, options)
        if name in names:
            if entry.name is not None:
                raise BadInput(
                    f"{lines.at('runs', i, 'name')}: runs[{i}].name: {name!r} names runs[{names[name]}] "
                    "already; give each run its own name"
                )
            name = f"{name} #{sum(1 for n in names if n.startswith(name)) + 1}"
        names[name] = i
        where = f"{lines.at('runs', i)}: runs[{i}]"
        runs.append(PlannedRun(len(runs), name, kind, target, options, where, pause))
        pause = 0.0
    if not runs:
        raise BadInput(f"{lines.at('runs')}: runs: the plan has no runs; list at least one scenario: or url:")
    if len(runs) > MAX_RUNS:
        raise BadInput(
            f"{lines.at('runs')}: runs: the plan has {len(runs)} runs, at most {MAX_RUNS}; split it into "
            "several plans (each its own report)"
        )
    return PlanFile(path, doc.name or file.stem, doc.description, tuple(runs), pause)

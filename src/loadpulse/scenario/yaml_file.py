"""YAML scenarios (Artillery-style) for people who would rather not write code.

    base_url: http://127.0.0.1:8000
    variables: {channel: 7}
    profile: quick                     # a preset name, or {profile: constant-vus, vus: 10, duration: 30s}
    thresholds: ["p95 < 200ms"]
    scenarios:
      - name: write
        weight: 70                     # share of iterations among scenarios without their own profile
        think_time: 100ms              # pause after each iteration
        requests:
          - method: POST
            url: /api/messages
            name: create
            json: {channel_id: "{{ channel }}", content: "hello from VU {{ vu }}"}
            capture: {id: $.id}        # JSON path into the response -> variable
            check: {status: 202, json: {$.status: queued}}
          - url: /api/messages/{{ id }}

A scenario entry with its own ``profile`` runs as a separate scenario under that profile (k6's
``scenarios``). ``{{ name }}`` is replaced by a variable, a capture, ``vu``, ``iteration``, ``uuid`` or
``env.KEY`` (from ``--env``); a whole-string template keeps the captured value's JSON type. Errors name the
YAML path: ``scenarios[1].requests[3].method: unknown method 'GTE'``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from loadpulse.errors import BadInput
from loadpulse.jsonpath import lookup, parse_json_path
from loadpulse.profiles.registry import validation_message
from loadpulse.scenario.ctx import Ctx
from loadpulse.scenario.model import DEFAULT_SCENARIO, TaskDef, TaskFn
from loadpulse.scenario.source import ScenarioSource, named_profile
from loadpulse.spec import METHODS

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
BUILTINS = ("vu", "iteration", "uuid")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class CheckSpec(_Strict):
    status: int | list[int] | None = None
    body_contains: str | None = None
    json_: Annotated[dict[str, Any] | None, Field(alias="json")] = None
    max_ms: Annotated[float, Field(gt=0)] | None = None

    @field_validator("json_")
    @classmethod
    def _paths(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for path in value or {}:
            parse_json_path(path)
        return value


class RequestStep(_Strict):
    method: Annotated[str, BeforeValidator(_upper)] = "GET"
    url: str
    name: str | None = None
    headers: dict[str, str] = {}
    json_: Annotated[Any, Field(alias="json")] = None
    body: str | None = None
    capture: dict[str, str] = {}
    check: CheckSpec | None = None
    tags: dict[str, str] = {}
    think_time: float | str | None = None

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"unknown method {value!r}: use one of {', '.join(METHODS)}")
        return value

    @field_validator("capture")
    @classmethod
    def _captures(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value.values():
            parse_json_path(path)
        return value


class FlowSpec(_Strict):
    name: str | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0
    think_time: float | str | None = None
    profile: str | dict[str, Any] | None = None
    requests: Annotated[list[RequestStep], Field(min_length=1)]


class YamlFile(_Strict):
    base_url: str | None = None
    variables: dict[str, Any] = {}
    headers: dict[str, str] = {}
    profile: str | dict[str, Any] | None = None
    thresholds: list[str] = []
    probes: dict[str, str] = {}
    think_time: float | str | None = None
    scenarios: Annotated[list[FlowSpec], Field(min_length=1)]


def render(value: Any, env: dict[str, Any]) -> Any:
    """Fill {{ name }} templates in strings (recursively in lists and mappings)."""
    if isinstance(value, str):
        whole = TEMPLATE.fullmatch(value.strip())
        if whole:
            return env[whole.group(1)]  # keep the JSON type of a whole-string template
        return TEMPLATE.sub(lambda m: str(env[m.group(1)]), value)
    if isinstance(value, list):
        return [render(v, env) for v in value]
    if isinstance(value, dict):
        return {k: render(v, env) for k, v in value.items()}
    return value


class _Env(dict[str, Any]):
    """Variables of one iteration; built-ins computed on demand."""

    def __init__(self, base: dict[str, Any], ctx: Ctx) -> None:
        super().__init__(base)
        self.ctx = ctx

    def __missing__(self, key: str) -> Any:
        if key == "vu":
            return self.ctx.vu.id
        if key == "iteration":
            return self.ctx.vu.iteration
        if key == "uuid":
            return str(uuid.uuid4())
        if key.startswith("env."):
            return self.ctx.env[key[4:]]
        raise KeyError(key)


def _seconds(value: float | str | None, where: str) -> float:
    from loadpulse.scenario.source import think_time_s

    return think_time_s(value, where)


def _compile(
    flow: FlowSpec, index: int, variables: dict[str, Any], default_think: float, path: str
) -> TaskFn:
    known = set(variables) | set(BUILTINS)
    for j, step in enumerate(flow.requests):
        texts = [step.url, step.body or "", *step.headers.values(), repr(step.json_)]
        for text in texts:
            for m in TEMPLATE.finditer(text):
                ref = m.group(1)
                if ref not in known and not ref.startswith("env."):
                    raise BadInput(
                        f"{path}: scenarios[{index}].requests[{j}]: '{{{{ {ref} }}}}' is not a variable, "
                        "an earlier capture, or one of vu, iteration, uuid, env.KEY"
                    )
        known |= set(step.capture)
    steps = [
        (
            step,
            {var: parse_json_path(p) for var, p in step.capture.items()},
            {p: (parse_json_path(p), want) for p, want in (step.check.json_ or {}).items()}
            if step.check
            else {},
            _seconds(step.think_time, f"{path}: scenarios[{index}].requests[{j}].think_time"),
        )
        for j, step in enumerate(flow.requests)
    ]
    think = (
        _seconds(flow.think_time, f"{path}: scenarios[{index}].think_time")
        if flow.think_time
        else default_think
    )

    async def run_flow(ctx: Ctx) -> None:
        env = _Env(variables, ctx)
        for step, captures, json_checks, pause in steps:
            url = render(step.url, env)
            r = await ctx.http.request(
                step.method,
                url,
                name=step.name or f"{step.method} {step.url}",
                headers=render(step.headers, env) if step.headers else None,
                json=render(step.json_, env) if step.json_ is not None else None,
                body=render(step.body, env) if step.body is not None else None,
                tags=step.tags or None,
            )
            label = r.name
            check = step.check
            if check is not None:
                if check.status is not None:
                    allowed = check.status if isinstance(check.status, list) else [check.status]
                    ctx.check(r.status in allowed, f"{label}: status {'/'.join(map(str, allowed))}")
                if check.body_contains is not None:
                    ctx.check(
                        check.body_contains in r.text, f"{label}: body contains {check.body_contains!r}"
                    )
                if check.max_ms is not None:
                    ctx.check(r.elapsed_ms <= check.max_ms, f"{label}: under {check.max_ms:g} ms")
            doc: Any = None
            if captures or json_checks:
                doc = r.json() if r.ok or r.body else None
            for p, (parts, want) in json_checks.items():
                try:
                    got = lookup(doc, parts)
                except KeyError:
                    got = KeyError
                ctx.check(got == want, f"{label}: {p} == {want!r}")
            for var, parts in captures.items():
                env[var] = lookup(doc, parts)
            if pause:
                await ctx.sleep(pause)
        if think:
            await ctx.sleep(think)

    return run_flow


def load_yaml(path: str) -> ScenarioSource:
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"scenario file {path!r} not found")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise BadInput(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not readable as YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise BadInput(f"{path}: the top level must be a mapping (base_url:, scenarios:, ...)")
    try:
        spec = YamlFile.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(f"{path}: {validation_message(exc, '')}") from None
    default_think = _seconds(spec.think_time, f"{path}: think_time")
    tasks: dict[str, list[TaskDef]] = {}
    configs: dict[str, dict[str, Any]] = {}
    for i, flow in enumerate(spec.scenarios):
        name = flow.name or f"scenario {i + 1}"
        fn = _compile(flow, i, spec.variables, default_think, path)
        group = DEFAULT_SCENARIO
        if flow.profile is not None:
            group = name
            where = f"{path}: scenarios[{i}].profile"
            configs[name] = (
                named_profile(flow.profile, where) if isinstance(flow.profile, str) else dict(flow.profile)
            )
        tasks.setdefault(group, []).append(TaskDef(name, fn, flow.weight, f"{path}: scenarios[{i}]"))
    profile = spec.profile
    return ScenarioSource(
        path=path,
        tasks=tasks,
        configs=configs,
        profile=named_profile(profile, f"{path}: profile") if isinstance(profile, str) else profile,
        base_url=spec.base_url,
        headers=dict(spec.headers),
        thresholds=tuple(spec.thresholds),
        probes=dict(spec.probes),
    )

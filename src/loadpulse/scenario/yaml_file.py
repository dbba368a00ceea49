"""YAML scenarios (Artillery-style) for people who would rather not write code.

    base_url: http://127.0.0.1:8000
    http2: false                       # true: requests over HTTP/2 (docs/http2.md)
    variables: {channel: 7}
    profile: quick                     # a preset name, or {profile: constant-vus, vus: 10, duration: 30s}
    thresholds: ["p95 < 200ms"]
    pipeline: {sink: "sql:sqlite:///app.db#SELECT id, at FROM done", drain_timeout: 10s}   # pipeline_spec.py
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
            track: {from: $.id}        # ... or as a pipeline item (yaml_track.py; track: NAME for a fresh id)
            check: {status: 202, json: {$.status: queued}}
          - url: /api/messages/{{ id }}

          - url: /api/tasks/{{ id }}
            poll: {until: {json: {$.status: done}}, every: 200ms, max: 30s}   # repeat until it holds
          - ws: {url: /ws/echo, actions: [{request: {id: "{{ id }}"}, match: id}]}   # yaml_ws.py
          - grpc: {target: "127.0.0.1:50051", proto: echo.proto, method: Echo/Say}  # yaml_grpc.py

A scenario entry with its own ``profile`` runs as a separate scenario under that profile (k6's
``scenarios``). ``{{ name }}`` is replaced by a variable, a capture, ``vu``, ``iteration``, ``uuid`` or
``env.KEY`` (from ``--env``), in requests and in the file-level ``headers:``; a whole-string template keeps
the captured value's JSON type. Errors name the line and the YAML path: ``file.yaml:14:
scenarios[1].requests[3].method: unknown method 'GTE'`` (yaml_lines.py). Running the flows is
yaml_flow.py (templates and variables: yaml_env.py); reading the file within bounds is yaml_limits.py.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)

from loadpulse.errors import BadInput
from loadpulse.jsonpath import parse_json_path
from loadpulse.profiles.registry import format_loc
from loadpulse.scenario.chaos_spec import yaml_chaos
from loadpulse.scenario.feed import feeds_from_yaml
from loadpulse.scenario.model import DEFAULT_SCENARIO, TaskDef
from loadpulse.scenario.pipeline_spec import PipelineSpec, pipeline_from_file
from loadpulse.scenario.source import ScenarioSource, named_profile, think_time_s
from loadpulse.scenario.yaml_env import refs
from loadpulse.scenario.yaml_flow import compile_flow
from loadpulse.scenario.yaml_grpc import GrpcStep
from loadpulse.scenario.yaml_limits import read_yaml_document
from loadpulse.scenario.yaml_lines import YamlLines
from loadpulse.scenario.yaml_message import Captures, Name
from loadpulse.scenario.yaml_track import TrackSpec, parse_track
from loadpulse.scenario.yaml_ws import WsStep
from loadpulse.spec import METHODS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class UntilSpec(_Strict):
    """What a polled response must show: any of status, body text, JSON values (all must hold)."""

    status: int | list[int] | None = None
    body_contains: str | None = None
    json_: Annotated[dict[str, Any] | None, Field(alias="json")] = None

    @field_validator("json_")
    @classmethod
    def _paths(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for path in value or {}:
            parse_json_path(path)
        return value


class CheckSpec(UntilSpec):
    """A response check: what ``until`` can say, plus a latency bound."""

    max_ms: Annotated[float, Field(gt=0)] | None = None


class PollSpec(_Strict):
    """Repeat a request until its response shows ``until``, every ``every``, for at most ``max`` and/or
    ``max_attempts`` (30 s when neither is given); reaching the bound is a failed check."""

    until: UntilSpec
    every: float | str = 1.0
    max: float | str | None = None
    max_attempts: Annotated[int, Field(gt=0)] | None = None


class RequestStep(_Strict):
    method: Annotated[str, BeforeValidator(_upper)] = "GET"
    url: str
    name: Name = None
    headers: dict[str, str] = {}
    json_: Annotated[Any, Field(alias="json")] = None
    body: str | None = None
    capture: Captures = {}
    check: CheckSpec | None = None
    poll: PollSpec | None = None
    tags: dict[str, str] = {}
    think_time: float | str | None = None
    track: Annotated[TrackSpec | None, BeforeValidator(parse_track)] = None

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value not in METHODS:
            raise ValueError(f"unknown method {value!r}: use one of {', '.join(METHODS)}")
        return value

    def captured(self) -> set[str]:
        """The variables this request sets: its captures and its fresh tracked id."""
        return set(self.capture) | ({self.track.var} if self.track is not None and self.track.var else set())


STEP_KINDS = ("ws", "grpc")
"""The keys that make an entry of ``requests:`` a step of another protocol (yaml_ws.py, yaml_grpc.py)."""


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        return next((kind for kind in STEP_KINDS if kind in value), "http")
    return "ws" if isinstance(value, WsStep) else "grpc" if isinstance(value, GrpcStep) else "http"


Step = Annotated[
    Annotated[RequestStep, Tag("http")] | Annotated[WsStep, Tag("ws")] | Annotated[GrpcStep, Tag("grpc")],
    Discriminator(_step_kind),
]


class FlowSpec(_Strict):
    name: str | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0
    think_time: float | str | None = None
    profile: str | dict[str, Any] | None = None
    requests: Annotated[list[Step], Field(min_length=1)]


class YamlFile(_Strict):
    base_url: str | None = None
    http2: bool = False
    """The file's requests over HTTP/2 (docs/http2.md), as ``http2 = True`` in a Python file."""
    variables: dict[str, Any] = {}
    headers: dict[str, str] = {}
    profile: str | dict[str, Any] | None = None
    thresholds: list[str] = []
    probes: dict[str, str] = {}
    think_time: float | str | None = None
    pipeline: Any = None
    """Checked by scenario/pipeline_spec.py, the same as a Python file's ``pipeline = {...}``."""
    data: dict[str, Any] = {}
    """Test-data feeds, ``{{ data.NAME.column }}`` in requests (scenario/feed.py)."""
    faults: Any = None
    proxies: Any = None
    """Faults on the run's timeline and their proxies, checked by scenario/chaos_spec.py."""
    scenarios: Annotated[list[FlowSpec], Field(min_length=1)]


def load_yaml(path: str) -> ScenarioSource:
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"scenario file {path!r} not found")
    raw, root = read_yaml_document(file, path)
    lines = YamlLines(path, root)
    if not isinstance(raw, dict):
        raise BadInput(f"{lines.at()}: the top level must be a mapping (base_url:, scenarios:, ...)")
    try:
        spec = YamlFile.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(_validation_line(exc, lines)) from None
    default_think = think_time_s(spec.think_time, f"{lines.at('think_time')}: think_time")
    # File-level headers: static ones no request overrides are the run's (sent as they are, shown in the
    # summary); templated or overridden ones go with each request, rendered and merged like its own.
    overridden = {k.lower() for flow in spec.scenarios for step in flow.requests for k in _headers(step)}
    static = {k: v for k, v in spec.headers.items() if not refs(v) and k.lower() not in overridden}
    per_request = {k: v for k, v in spec.headers.items() if k not in static}
    tasks: dict[str, list[TaskDef]] = {}
    configs: dict[str, dict[str, Any]] = {}
    feeds = feeds_from_yaml(spec.data, file.resolve().parent, lines.at)
    for i, flow in enumerate(spec.scenarios):
        name = flow.name or f"scenario {i + 1}"
        fn = compile_flow(flow, i, spec.variables, per_request, default_think, lines, feeds)
        group = DEFAULT_SCENARIO
        if flow.profile is not None:
            group = name
            where = f"{lines.at('scenarios', i, 'profile')}: scenarios[{i}].profile"
            configs[name] = (
                named_profile(flow.profile, where) if isinstance(flow.profile, str) else dict(flow.profile)
            )
        tasks.setdefault(group, []).append(TaskDef(name, fn, flow.weight, f"{path}: scenarios[{i}]"))
    profile = spec.profile
    return ScenarioSource(
        path=path,
        tasks=tasks,
        configs=configs,
        profile=named_profile(profile, f"{lines.at('profile')}: profile")
        if isinstance(profile, str)
        else profile,
        base_url=spec.base_url,
        headers=static,
        thresholds=tuple(spec.thresholds),
        probes=dict(spec.probes),
        pipeline=_pipeline(spec.pipeline, lines),
        chaos=yaml_chaos(spec.faults, spec.proxies, lines.at),
        http2=spec.http2,
        env_refs=_env_refs(spec, lines),
        tracks_at=next(
            (
                lines.at("scenarios", i, "requests", j, "track")
                for i, flow in enumerate(spec.scenarios)
                for j, step in enumerate(flow.requests)
                if isinstance(step, RequestStep) and step.track is not None
            ),
            None,
        ),
    )


def _env_refs(spec: YamlFile, lines: YamlLines) -> tuple[tuple[str, str], ...]:
    """``(file:line: path, KEY)`` of the first ``{{ env.KEY }}`` of each KEY in the file's headers and
    steps: ``--env`` is known before the run, so a KEY it lacks is bad input at that line (source.py)."""
    found: dict[str, str] = {}
    for key, value in spec.headers.items():
        for ref in sorted(refs(value)):
            found.setdefault(ref, f"{lines.at('headers', key)}: headers.{key}")
    for i, flow in enumerate(spec.scenarios):
        for j, step in enumerate(flow.requests):
            for loc, ref in _refs_in(step, ("scenarios", i, "requests", j)):
                found.setdefault(ref, f"{lines.at(*loc)}: {format_loc(loc)}")
    return tuple((where, ref[4:]) for ref, where in found.items() if ref.startswith("env."))


def _refs_in(model: BaseModel, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name, value in model:
        at = (*loc, type(model).model_fields[name].alias or name)
        items = value if isinstance(value, list) else [value]
        for k, item in enumerate(items):
            sub = (*at, k) if isinstance(value, list) else at
            if isinstance(item, BaseModel):
                out += _refs_in(item, sub)
            else:
                out += [(sub, ref) for ref in sorted(refs(item))]
    return out


def _headers(step: RequestStep | WsStep | GrpcStep) -> dict[str, str]:
    if isinstance(step, WsStep):
        return step.ws.headers
    return step.headers if isinstance(step, RequestStep) else {}


def _validation_line(exc: ValidationError, lines: YamlLines) -> str:
    """pydantic's most telling error as ``file:line: path: problem``; a ``track:`` outside a request
    says where it goes."""
    errors = [(_step_loc(tuple(e["loc"])), e) for e in exc.errors()]
    extra = [e for e in errors if e[1]["type"] == "extra_forbidden"]
    loc, err = extra[0] if extra else errors[0]
    raw = tuple(err["loc"])
    if err["type"] == "extra_forbidden" and loc[-1] == "track":
        return (
            f"{lines.at(*loc)}: {format_loc(loc)}: track goes on a request (an entry under a scenario's "
            "requests:), next to its url:"
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        # Usually a typo of a key reported missing beside it (as profiles' validation_message says).
        missing = [str(at[-1]) for at, e in errors if e["type"] == "missing" and at[:-1] == loc[:-1]]
        close = difflib.get_close_matches(str(loc[-1]), missing, n=1, cutoff=0.5)
        keys = _keys_at(raw[:-1])
        if len(loc) == 5 and loc[2] == "requests":  # a step's own key: maybe a misspelt ws:/grpc:
            keys += STEP_KINDS
        close = close or difflib.get_close_matches(str(loc[-1]), keys, n=1, cutoff=0.6)
        msg = f"unknown key; did you mean {close[0]!r}?" if close and close[0] != loc[-1] else "unknown key"
        if len(loc) == 5 and loc[2] == "requests" and loc[-1] in STEP_KINDS:
            msg = f"a step is one request (url:) or one {' or '.join(STEP_KINDS)} step, not two: split it"
    if err["type"] == "missing" and loc[-1] == "url" and len(loc) == 5:
        msg += f" (a request has url:, or the step is one of {', '.join(k + ':' for k in STEP_KINDS)})"
    return f"{lines.at(*loc)}: {format_loc(loc)}: {msg}"


def _keys_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the mapping at pydantic's ``loc`` (step kinds included) takes, for a did-you-mean."""
    node: Any = YamlFile
    for part in loc:
        node = _strip(node)
        if isinstance(part, int):
            node = get_args(node)[0] if get_origin(node) is list else None
        elif isinstance(node, type) and issubclass(node, BaseModel):
            node = next((f.annotation for n, f in node.model_fields.items() if part in (n, f.alias)), None)
        else:  # a tagged union of steps: the member named by the tag
            tagged = [a for a in get_args(node) if any(getattr(m, "tag", None) == part for m in _meta(a))]
            node = get_args(tagged[0])[0] if tagged else None
        if node is None:
            return []
    node = _strip(node)
    if not (isinstance(node, type) and issubclass(node, BaseModel)):
        return []
    return [f.alias or n for n, f in node.model_fields.items()]


def _strip(node: Any) -> Any:
    """``node`` without Annotated wrappers and an Optional's None."""
    while True:
        if get_origin(node) is Annotated:
            node = get_args(node)[0]
        elif get_origin(node) in (Union, UnionType) and type(None) in get_args(node):
            rest = [a for a in get_args(node) if a is not type(None)]
            node = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007 - built at run time
        else:
            return node


def _meta(node: Any) -> tuple[Any, ...]:
    return getattr(node, "__metadata__", ()) if get_origin(node) is Annotated else ()


def _step_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """``loc`` without the step kind pydantic puts after a step's index (``requests, 3, 'ws', 'ws', ...``)."""
    if len(loc) > 4 and loc[0] == "scenarios" and loc[2] == "requests" and loc[4] in ("http", *STEP_KINDS):
        return (*loc[:4], *loc[5:])
    return loc


def _pipeline(value: Any, lines: YamlLines) -> PipelineSpec | None:
    """``pipeline:``, checked as a Python file's ``pipeline = {...}`` is."""
    if value is not None and not isinstance(value, dict):
        raise BadInput(
            f"{lines.at('pipeline')}: pipeline: must be a mapping, like "
            "pipeline: {sink: 'sql:sqlite:///app.db#SELECT id, at FROM items', drain_timeout: 10s}"
        )
    return pipeline_from_file(value, lines.at("pipeline"))

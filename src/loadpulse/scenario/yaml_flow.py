"""Running a YAML scenario's flows: HTTP requests with their checks, captures and polling, and the
``ws:`` and ``grpc:`` steps compiled by yaml_ws.py and yaml_grpc.py (see yaml_file.py; templates and
variables are yaml_env.py).

A problem in a running flow — a capture that finds nothing, an ``{{ env.KEY }}`` not given — is a
:class:`FlowError` whose script-error key is the YAML path (``scenarios[0].requests[1].capture.token:
$.token not found in the response``), never a line inside loadpulse. Keys stay a small fixed set: they
name the step and the reason, never a value from the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

from loadpulse.errors import BadInput
from loadpulse.jsonpath import lookup, parse_json_path
from loadpulse.scenario.ctx import Ctx
from loadpulse.scenario.model import TaskFn
from loadpulse.scenario.source import think_time_s
from loadpulse.scenario.yaml_env import (
    BUILTINS,
    MISSING,
    Env,
    FlowError,
    FlowStep,
    Site,
    StepState,
    as_text,
    capture_value,
    check_refs,
    merged_headers,
    refs,
    refused,
    rendered,
)
from loadpulse.scenario.yaml_env import (
    known as known_ref,
)
from loadpulse.scenario.yaml_grpc import GrpcStep
from loadpulse.scenario.yaml_ws import WsStep

if TYPE_CHECKING:
    from loadpulse.protocols.http.client import Response
    from loadpulse.scenario.feed import Feed
    from loadpulse.scenario.yaml_file import CheckSpec, FlowSpec, PollSpec, RequestStep, UntilSpec
    from loadpulse.scenario.yaml_lines import YamlLines

_NO_SINK = "no sink to look for tracked items in: add pipeline: {sink: ...} to the file, or give --sink"
_MISSING = MISSING


@dataclass(frozen=True, slots=True)
class _Condition:
    """A check: or a poll's until: compiled once (JSON paths parsed)."""

    status: tuple[int, ...] | None
    body_contains: str | None
    json: tuple[tuple[str, list[str | int], Any], ...]
    max_ms: float | None

    @classmethod
    def of(cls, spec: CheckSpec | UntilSpec) -> _Condition:
        status = None
        if spec.status is not None:
            status = tuple(spec.status) if isinstance(spec.status, list) else (spec.status,)
        pairs = tuple((p, parse_json_path(p), want) for p, want in (spec.json_ or {}).items())
        return cls(status, spec.body_contains, pairs, getattr(spec, "max_ms", None))

    def results(self, r: Response, label: str) -> list[tuple[str, bool]]:
        """(check name, passed) for each part of the condition."""
        out: list[tuple[str, bool]] = []
        if self.status is not None:
            out.append((f"{label}: status {'/'.join(map(str, self.status))}", r.status in self.status))
        if self.body_contains is not None:
            out.append((f"{label}: body contains {self.body_contains!r}", self.body_contains in r.text))
        if self.max_ms is not None:
            out.append((f"{label}: under {self.max_ms:g} ms", r.elapsed_ms <= self.max_ms))
        if self.json:
            doc = json_or_missing(r)
            for p, parts, want in self.json:
                try:
                    got = lookup(doc, parts) if doc is not _MISSING else _MISSING
                except KeyError:
                    got = _MISSING
                out.append((f"{label}: {p} == {want!r}", got == want))
        return out

    def holds(self, r: Response) -> bool:
        return all(ok for _, ok in self.results(r, ""))

    def describe(self) -> str:
        parts = [f"status {'/'.join(map(str, self.status))}"] if self.status is not None else []
        if self.body_contains is not None:
            parts.append(f"body contains {self.body_contains!r}")
        parts += [f"{p} == {want!r}" for p, _, want in self.json]
        return " and ".join(parts) or "a response"


def json_or_missing(r: Response) -> Any:
    try:
        return r.json() if r.body else _MISSING
    except ValueError:
        return _MISSING


@dataclass(frozen=True, slots=True)
class _Poll:
    until: _Condition
    every_s: float
    max_s: float | None
    max_attempts: int | None


@dataclass(frozen=True, slots=True)
class _Step:
    step: RequestStep
    where: str
    """The YAML path of the step: scenarios[0].requests[1]."""
    name: str
    headers: dict[str, str]
    """File-level headers merged under the step's own (the step's win, by name in any case)."""
    templated_headers: bool
    captures: tuple[tuple[str, str, list[str | int]], ...]
    check: _Condition | None
    poll: _Poll | None
    pause_s: float
    track_var: str | None
    """``track: NAME``: a fresh tracked id goes into this variable before the request."""
    track_from: tuple[str, list[str | int]] | None
    """``track: {from: PATH}``: (where, for messages; the parsed path) of the id tracked from the response."""
    at: str = ""
    """``file:line`` of the step, which a request it asks for and loadpulse refuses is bad input at."""
    state: StepState = field(default_factory=StepState)


def compile_flow(
    flow: FlowSpec,
    index: int,
    variables: dict[str, Any],
    file_headers: Mapping[str, str],
    default_think: float,
    lines: YamlLines,
    feeds: Mapping[str, Feed] | None = None,
) -> TaskFn:
    """The flow as a task; BadInput (with file:line and the YAML path) for a template naming nothing
    known."""
    captured_anywhere = {var for step in flow.requests for var in step.captured()}
    known = set(variables) | set(BUILTINS)
    feeds = feeds or {}
    for fname, fd in feeds.items():
        known |= {f"data.{fname}", *(f"data.{fname}.{c}" for c in fd.columns or ("*",))}
    for key, value in file_headers.items():
        for ref in refs(value):
            if not known_ref(ref, known | captured_anywhere):
                raise BadInput(
                    f"{lines.at('headers', key)}: headers.{key}: '{{{{ {ref} }}}}' is not a variable, "
                    f"a capture or tracked id of scenarios[{index}], or one of vu, iteration, uuid, env.KEY, "
                    "data.NAME.column"
                )
    steps: list[_Step | FlowStep] = []
    for j, step in enumerate(flow.requests):
        where = f"scenarios[{index}].requests[{j}]"
        at = lines.at("scenarios", index, "requests", j)
        if isinstance(step, WsStep | GrpcStep):  # yaml_ws.py, yaml_grpc.py
            loc = ("scenarios", index, "requests", j)
            steps.append(step.compile(Site(lines, loc, set(known), file_headers)))
            known |= step.captured()
            continue
        track_var = step.track.var if step.track is not None else None
        if track_var is not None:
            known.add(track_var)  # the request that tracks it sends it
        check_refs([step.url, step.body or "", *step.headers.values(), repr(step.json_)], known, at, where)
        headers = merged_headers(file_headers, step.headers, known)
        poll = None
        if step.poll is not None:
            poll = _compile_poll(
                step.poll, f"{lines.at('scenarios', index, 'requests', j, 'poll')}: {where}.poll"
            )
        track_path = step.track.path if step.track is not None else None
        steps.append(
            _Step(
                step,
                where,
                step.name or f"{step.method} {step.url}",
                headers,
                any(refs(v) for v in headers.values()),
                tuple((var, p, parse_json_path(p)) for var, p in step.capture.items()),
                _Condition.of(step.check) if step.check is not None else None,
                poll,
                think_time_s(step.think_time, f"{at}: {where}.think_time"),
                track_var,
                (f"{where}.track.from: {track_path}", parse_json_path(track_path)) if track_path else None,
                at,
            )
        )
        known |= set(step.capture)
    think = (
        think_time_s(flow.think_time, f"{lines.at('scenarios', index)}: scenarios[{index}].think_time")
        if flow.think_time
        else default_think
    )

    async def run_flow(ctx: Ctx) -> None:
        env = Env(variables, ctx, feeds)
        for s in steps:
            if not isinstance(s, _Step):
                await s.run(ctx, env)
                continue
            if s.track_var is not None:
                env[s.track_var] = track_new(ctx, f"{s.where}.track")
            r = await _send(ctx, s, env)
            if s.poll is not None:
                r = await _poll(ctx, s, s.poll, env, r)
            if s.check is not None:
                for name, ok in s.check.results(r, r.name):
                    ctx.check(ok, name)
            if s.captures or s.track_from is not None:
                doc = json_or_missing(r)
                for var, p, parts in s.captures:
                    env[var] = capture_value(doc, parts, f"{s.where}.capture.{var}: {p}")
                if s.track_from is not None:
                    track_response(ctx, r, doc, s.track_from[1], s.track_from[0])
            if s.pause_s:
                await ctx.sleep(s.pause_s)
        if think:
            await ctx.sleep(think)

    return run_flow


def _compile_poll(spec: PollSpec, where: str) -> _Poll:
    every = think_time_s(spec.every, f"{where}.every")
    max_s = think_time_s(spec.max, f"{where}.max") if spec.max is not None else None
    if max_s is None and spec.max_attempts is None:
        max_s = 30.0  # a poll is always bounded: without a bound it is 30 s
    return _Poll(_Condition.of(spec.until), every, max_s, spec.max_attempts)


async def _send(ctx: Ctx, s: _Step, env: Env) -> Response:
    step = s.step
    url = rendered(step.url, env, s.where)
    headers = s.headers
    if s.templated_headers:
        headers = {k: as_text(v) for k, v in rendered(headers, env, s.where).items()}
    json_body = rendered(step.json_, env, s.where) if step.json_ is not None else None
    body = rendered(step.body, env, s.where) if step.body is not None else None
    try:
        r = await ctx.http.request(
            step.method,
            url,
            name=s.name,
            headers=headers or None,
            json=json_body,
            body=body,
            tags=step.tags or None,
        )
    except BadInput as exc:  # a rendered URL loadpulse cannot send to (yaml_env.refused)
        raise refused(exc, s.state, env, s.at, s.where) from None
    s.state.ran = True
    return r


async def _poll(ctx: Ctx, s: _Step, poll: _Poll, env: Env, first: Response) -> Response:
    """Repeat the step every ``every`` until its condition holds, within ``max``/``max_attempts``; one
    check named after the request says whether it did."""
    name = f"{first.name}: poll until {poll.until.describe()}"
    r, attempts = first, 1
    deadline = perf_counter() + poll.max_s if poll.max_s is not None else None
    while not poll.until.holds(r):
        out_of_attempts = poll.max_attempts is not None and attempts >= poll.max_attempts
        out_of_time = deadline is not None and perf_counter() + poll.every_s > deadline
        if out_of_attempts or out_of_time:
            ctx.check(False, name)
            return r
        await ctx.sleep(poll.every_s)
        r = await _send(ctx, s, env)
        attempts += 1
    ctx.check(True, name)
    return r


def track_new(ctx: Ctx, where: str) -> str:
    """A fresh tracked id for the next request (``track: NAME``, the one-liner's ``{{ track }}``)."""
    try:
        return ctx.track()
    except RuntimeError:
        raise FlowError(f"{where}: {_NO_SINK}") from None


def track_response(ctx: Ctx, r: Response, doc: Any, parts: list[str | int], where: str) -> None:
    """Track the id at ``parts`` of the response as sent by its request (``ctx.track(id, since=r)``). A
    failed request without an id in its answer has nothing to track: its failure is counted already."""
    if doc is _MISSING:
        if r.ok:
            raise FlowError(f"{where}: the response is not JSON")
        return
    try:
        key = lookup(doc, parts)
    except KeyError:
        if r.ok:
            raise FlowError(f"{where} not found in the response") from None
        return
    if isinstance(key, bool) or not isinstance(key, str | int) or key == "":
        raise FlowError(f"{where}: not an id (a string or a whole number) in the response")
    try:
        ctx.track(key, since=r)
    except RuntimeError:
        raise FlowError(f"{where}: {_NO_SINK}") from None

"""A ``grpc:`` step in a YAML flow: one unary call, or one server stream read to its end, through
``ctx.grpc`` (protocols/grpc/plugin.py).

    - grpc:
        target: "{{ env.GRPC_TARGET }}"   # host:port (plaintext HTTP/2)
        method: Echo/Say                  # package.Service/Method, or Service/Method when unambiguous
        proto: echo.proto                 # or a list; relative to this file, compiled when it is loaded
        include: [protos]                 # folders imports are found in (relative to this file)
        data: {text: "hi {{ vu }}"}       # the request message, templated (protobuf's JSON mapping)
        metadata: {tenant: "{{ team }}"}
        timeout: 2s                       # the call's deadline (default --timeout)
        name: say                         # default: the method's full name
        check: {status: OK, json: {$.text: "hi 1"}}   # status: a name or a list; json: on the reply
        capture: {said: $.text}           # from the reply (a stream: the last message it got, whatever
                                          # its status)

Everything that can be checked before the run is: the .proto compiles (protoc's message), the method
exists and is unary or server-streaming, data and metadata without templates fit, the target is
host:port. Compiled protos are cached per process as ``load_protos`` does. A status other than OK is
counted under ``grpc_<status>`` and the flow goes on, as in Python; a capture from a failed call ends the
iteration as a script error named by its YAML path. grpc itself is imported only for a file that has a
``grpc:`` step (when the step is compiled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field

from loadpulse.errors import BadInput
from loadpulse.scenario.source import think_time_s
from loadpulse.scenario.yaml_env import (
    MISSING,
    FlowError,
    Site,
    StepState,
    as_text,
    check_refs,
    refs,
    refused,
    rendered,
)
from loadpulse.scenario.yaml_message import Captures, Expect, JsonCheck, Name, Strict, seconds

if TYPE_CHECKING:
    from loadpulse.protocols.grpc.protos import Protos
    from loadpulse.scenario.ctx import Ctx
    from loadpulse.scenario.yaml_env import Env


class GrpcCheck(JsonCheck):
    """``check:`` on a call: its status (a name like OK or NOT_FOUND, or a list) and JSON values of the
    reply (a stream: of its last message)."""

    status: str | list[str] | None = None


class GrpcSpec(Strict):
    target: str
    method: str
    proto: str | list[str]
    include: list[str] = Field(default_factory=list)
    data: dict[str, Any] | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    timeout: float | str | None = None
    name: Name = None
    check: GrpcCheck | None = None
    capture: Captures = Field(default_factory=dict)
    think_time: float | str | None = None


class GrpcStep(Strict):
    """An entry of a flow's ``requests:`` that is ``grpc: {...}``."""

    grpc: GrpcSpec

    def captured(self) -> set[str]:
        return set(self.grpc.capture)

    def compile(self, site: Site) -> GrpcRun:
        return _compile(self.grpc, site)


@dataclass(frozen=True, slots=True)
class GrpcRun:
    """A compiled ``grpc:`` step."""

    target: str
    target_templated: bool
    protos: Protos
    method: str
    streaming: bool
    data: Any
    """The request: a message built at load time, or the mapping to render per iteration."""
    data_templated: bool
    metadata: Any
    metadata_templated: bool
    timeout: float | None
    name: str | None
    label: str
    statuses: tuple[str, ...] | None
    expect: Expect | None
    pause_s: float
    where: str
    at: str
    state: StepState = field(default_factory=StepState)

    async def run(self, ctx: Ctx, env: Env) -> None:
        where = self.where
        target = rendered(self.target, env, f"{where}.target") if self.target_templated else self.target
        data = rendered(self.data, env, f"{where}.data") if self.data_templated else self.data
        md = rendered(self.metadata, env, f"{where}.metadata") if self.metadata_templated else self.metadata
        if self.metadata_templated:
            md = {k: as_text(v) for k, v in md.items()}
        last: Any = None
        try:  # what loadpulse refuses here (a rendered target, data that does not fit) is bad input
            calls = ctx.grpc(target, self.protos)
            if self.streaming:
                async with calls.stream(
                    self.method, data, name=self.name, timeout=self.timeout, metadata=md or None
                ) as stream:
                    async for last in stream:  # noqa: B007 - the last message is what is checked
                        pass
                code = stream.code or "CANCELLED"
            else:
                reply = await calls.call(
                    self.method, data, name=self.name, timeout=self.timeout, metadata=md or None
                )
                code, last = reply.code, reply.message
        except BadInput as exc:
            raise refused(
                exc, self.state, env, self.at, where, data if self.data_templated else MISSING
            ) from None
        self.state.ran = True
        if self.statuses is not None:
            ctx.check(code in self.statuses, f"{self.label}: status {'/'.join(self.statuses)}")
        expect = self.expect
        if expect is not None:
            if expect.captures and last is None:
                var, p, _ = expect.captures[0]
                said = f"the call ended {code}" if code != "OK" else "the stream sent no message"
                raise FlowError(f"{where}.capture.{var}: {p}: {said}, nothing to capture")
            # a stream's last message is checked whatever its status: check: {status: [OK, CANCELLED]}
            doc = _as_dict(last) if last is not None else MISSING
            expect.apply(ctx, env, doc, "", self.label, where, "the reply")
        if self.pause_s:
            await ctx.sleep(self.pause_s)


def _as_dict(message: Any) -> Any:
    from loadpulse.protocols.grpc.protos import message_json

    return message_json(message)


def _compile(spec: GrpcSpec, site: Site) -> GrpcRun:
    from loadpulse.protocols.grpc.metadata import checked_metadata
    from loadpulse.protocols.grpc.plugin import check_target
    from loadpulse.protocols.grpc.protos import compile_protos

    where, at = site.where("grpc"), site.at("grpc")

    def bad(key: str, exc: BadInput) -> BadInput:
        return BadInput(f"{site.at('grpc', key)}: {site.where('grpc', key)}: {exc}")

    check_refs([spec.target, spec.data, *spec.metadata.values()], site.names, at, where)
    target_templated = bool(refs(spec.target))
    try:
        if not target_templated:
            check_target(spec.target)
    except BadInput as exc:
        raise bad("target", exc) from None
    files = [spec.proto] if isinstance(spec.proto, str) else spec.proto
    if not files:
        raise bad("proto", BadInput("give at least one .proto file"))
    try:
        protos = compile_protos(files, spec.include, str(site.folder))
    except BadInput as exc:
        raise bad("proto", exc) from None
    try:
        method = protos.method(spec.method)
        if method.client_streaming:
            raise BadInput(f"gRPC method {method.name} takes a stream of requests: not supported yet")
    except BadInput as exc:
        raise bad("method", exc) from None
    data_templated = bool(refs(spec.data))
    data: Any = spec.data
    metadata: Any = spec.metadata
    try:
        if not data_templated:
            data = method.message(spec.data, "data")
    except BadInput as exc:
        raise bad("data", exc) from None
    metadata_templated = any(refs(v) for v in spec.metadata.values())
    try:
        if not metadata_templated:
            metadata = checked_metadata(spec.metadata or None, "metadata")
    except BadInput as exc:
        raise bad("metadata", exc) from None
    statuses = None
    if spec.check is not None and spec.check.status is not None:
        statuses = _statuses(spec.check.status, site)
    timeout = None
    if spec.timeout is not None:
        timeout = seconds(spec.timeout, f"{site.at('grpc', 'timeout')}: {site.where('grpc', 'timeout')}")
    return GrpcRun(
        spec.target,
        target_templated,
        protos,
        method.name,
        method.server_streaming,
        data,
        data_templated,
        metadata,
        metadata_templated,
        timeout,
        spec.name,
        spec.name or method.name,
        statuses,
        Expect.of(spec.check, spec.capture),
        think_time_s(spec.think_time, f"{site.at('grpc', 'think_time')}: {where}"),
        where,
        at,
    )


def _statuses(given: str | list[str], site: Site) -> tuple[str, ...]:
    """Status names, upper case; BadInput at the check for one gRPC does not have."""
    import grpc

    known = [code.name for code in grpc.StatusCode]
    names = tuple(s.upper() for s in ([given] if isinstance(given, str) else given))
    for name in names:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise BadInput(
                f"{site.at('grpc', 'check', 'status')}: {site.where('grpc', 'check', 'status')}: "
                f"{name!r} is not a gRPC status: {hint}one of {', '.join(known)}"
            )
    return names

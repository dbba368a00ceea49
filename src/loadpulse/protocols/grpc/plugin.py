"""``ctx.grpc``: unary and server-streaming gRPC calls on grpc.aio (C-core), measured like HTTP requests.

    echo = ctx.grpc("127.0.0.1:50051", protos)          # protos: load_protos(...), a *_pb2 module, a path
    r = await echo.call("Echo/Say", {"text": "hi"})      # r.ok, r.code, r.message, r.json()
    async for item in echo.stream("Echo/Feed", {"count": 10}):
        ...

A call ends as a :class:`Reply` rather than an exception, as an HTTP request ends as a Response: a status
other than OK is counted under ``grpc_<status>`` (``grpc_unavailable``, ``grpc_deadline_exceeded`` …, see
:mod:`loadpulse.metrics.error_kinds`) and the script decides whether to go on. The deadline is the run's
``--timeout`` unless a call gives its own. One grpc.aio channel (one HTTP/2 connection) per target and
process carries every VU's calls, on the run's event loop (uvloop included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from time import perf_counter_ns
from types import ModuleType
from typing import Any

from loadpulse.bounds import MAX_DURATION_S
from loadpulse.errors import BadInput
from loadpulse.metrics.error_kinds import GRPC_STATUS_PREFIX, ErrorKind
from loadpulse.metrics.recorder import NameRecorder, Recorder
from loadpulse.protocols.grpc.failures import StatusTally, count_failure, pause_if_refused
from loadpulse.protocols.grpc.metadata import Metadata, checked_metadata
from loadpulse.protocols.grpc.protos import (
    Method,
    Protos,
    compile_protos,
    message_json,
    protos_of_modules,
    require_grpc,
)
from loadpulse.protocols.grpc.stream import Stream
from loadpulse.protocols.session import NAME_CACHE_MAX, SessionSettings

_UNFINISHED = ErrorKind.UNFINISHED.value
MAX_RECEIVE = "grpc.max_receive_message_length"
"""grpc's own default is 4 MiB: a larger reply fails as RESOURCE_EXHAUSTED unless a script raises it."""


class GrpcProtocol:
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        require_grpc()
        import grpc

        self.grpc = grpc
        self.recorder = recorder
        self.timeout_s = settings.timeout_s
        self.clock = settings.clock
        self.warnings = settings.warnings
        self.running = 0
        self.channels: dict[tuple[str, int | None], Any] = {}
        """One per target (and receive limit, where a script sets one) and process."""
        self.tally = StatusTally()
        self.unread_streams = 0
        """Streams dropped by the script before their end, outside ``async with`` (see stream.py)."""
        self.unstarted_streams = 0
        """Streams made and dropped without being read: no call was made."""
        self.kinds = {code: GRPC_STATUS_PREFIX + code.name.lower() for code in grpc.StatusCode}
        self._protos: dict[int, tuple[object, Protos]] = {}

    async def prepare(self) -> None:
        pass

    def start(self) -> None:
        pass

    def client(self) -> GrpcClient:
        return GrpcClient(self)

    def in_flight(self) -> int:
        return self.running

    def connection_count(self) -> int:
        return len(self.channels)

    def channel(self, target: str, max_message_bytes: int | None = None) -> Any:
        key = (target, max_message_bytes)
        channel = self.channels.get(key)
        if channel is None:
            check_target(target, "ctx.grpc: ")
            options = [] if max_message_bytes is None else [(MAX_RECEIVE, max_message_bytes)]
            channel = self.channels[key] = self.grpc.aio.insecure_channel(target, options=options)
        return channel

    def protos(self, given: object) -> Protos:
        """``given`` as Protos: a generated module or .proto path(s) are converted once per process."""
        if isinstance(given, Protos):
            return given
        kept = self._protos.get(id(given))
        if kept is not None and kept[0] is given:
            return kept[1]
        if isinstance(given, ModuleType):
            protos = protos_of_modules([given])
        elif isinstance(given, str):
            protos = compile_protos([given])
        elif isinstance(given, list | tuple) and given and all(isinstance(m, ModuleType) for m in given):
            protos = protos_of_modules(given)
        elif isinstance(given, list | tuple) and given and all(isinstance(m, str) for m in given):
            protos = compile_protos(given)
        else:
            empty = isinstance(given, list | tuple) and not given
            what = f"an empty {type(given).__name__}" if empty else type(given).__name__
            raise BadInput(
                "ctx.grpc: protos must be load_protos(...), a generated *_pb2 module (or a list of them) or "
                f"a .proto path, not {what}"
            )
        self._protos[id(given)] = (given, protos)
        return protos

    def close(self) -> None:
        channels, self.channels = self.channels, {}
        for channel in channels.values():
            _close_now(channel)
        said = self.tally.warnings()
        if self.unread_streams:
            said.append(
                f"{self.unread_streams:,} gRPC streams were left before their end outside `async with` (a "
                "break or an exception in the loop): cancelled, not counted as requests; use `async with "
                "ctx.grpc(...).stream(...) as s:` to count a stream left early as done"
            )
        if self.unstarted_streams:
            said.append(
                f"{self.unstarted_streams:,} gRPC streams were never read, so never called: iterate a "
                "stream (`async for item in ctx.grpc(...).stream(...)`) to make the call"
            )
        self.tally = StatusTally()
        self.unread_streams = self.unstarted_streams = 0
        self.warnings.extend(w for w in said if w not in self.warnings)


def check_target(target: object, where: str = "") -> None:
    """:class:`BadInput` unless ``target`` is what grpc dials: ``host:port`` (or a grpc name scheme such as
    ``unix:path``, ``dns:///host:port``)."""
    if isinstance(target, str) and target.startswith(("unix:", "unix-abstract:", "dns:", "ipv4:", "ipv6:")):
        return
    host, sep, port = target.rpartition(":") if isinstance(target, str) else ("", "", "")
    if not (sep and host and port.isdigit()) or "/" in host:
        raise BadInput(f"{where}gRPC target {target!r} is not host:port (like 127.0.0.1:50051, no scheme)")
    if not 1 <= int(port) <= 65535:
        raise BadInput(f"{where}gRPC target {target!r}: the port must be 1 to 65535")


def checked_timeout(timeout: object) -> float:
    """A call's own ``timeout``, in seconds, or :class:`BadInput` (0 would not mean "no deadline")."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_DURATION_S:
        # over a month grpc's deadline overflows: every call would fail at once as DEADLINE_EXCEEDED
        raise BadInput(
            f"timeout must be a number of seconds > 0, at most 30 days (2,592,000), not {timeout!r}"
        )
    return float(timeout)


def checked_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise BadInput(f"max_message_bytes must be a whole number of bytes > 0, not {size!r}")
    return size


def _close_now(channel: Any) -> None:
    """grpc.aio's ``close()`` without a grace never suspends: stepped once, it has cancelled the channel's
    calls and destroyed it. Run as a task instead, it could be cancelled unstarted as the loop ends."""
    coro = channel.close()
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()


class GrpcClient:
    """One VU's ``ctx.grpc``: call it with a target (and the protos) for that target's :class:`GrpcTarget`."""

    __slots__ = ("_names", "_targets", "failures", "intended_ns", "on_done", "session")

    def __init__(self, session: GrpcProtocol) -> None:
        self.session = session
        self.intended_ns = 0
        """Set by the engine for an open-model iteration: the next call's latency counts from it."""
        self.on_done: Callable[[bool], None] | None = None
        self.failures = 0
        """Connection failures in a row: how long the next call waits (see failures.py)."""
        self._targets: dict[tuple[str, int, Metadata | None, int | None], GrpcTarget] = {}
        self._names: dict[str, NameRecorder] = {}

    def __call__(
        self, target: str, protos: object, *, metadata: Any = None, max_message_bytes: int | None = None
    ) -> GrpcTarget:
        md = checked_metadata(metadata, "ctx.grpc metadata") if metadata else None
        size = None if max_message_bytes is None else checked_size(max_message_bytes)
        key = (target, id(protos), md, size)
        found = self._targets.get(key)
        if found is None or found.given is not protos:
            found = GrpcTarget(self, target, protos, md, size)
            if len(self._targets) < NAME_CACHE_MAX:
                self._targets[key] = found
        return found

    def recorder_of(self, name: str) -> NameRecorder:
        rec = self._names.get(name)
        if rec is None:
            rec = self.session.recorder.for_name(name)
            if len(self._names) < NAME_CACHE_MAX:
                self._names[name] = rec
        return rec


class GrpcTarget:
    """The calls of one VU to one target: ``await call(...)`` and ``stream(...)``."""

    __slots__ = ("_calls", "_channel", "_client", "_metadata", "_protos", "_session", "given", "target")

    def __init__(
        self, client: GrpcClient, target: str, protos: object, metadata: Metadata | None, size: int | None
    ) -> None:
        self._client = client
        self._session = client.session
        self.target = target
        self.given = protos
        self._protos = self._session.protos(protos)
        self._metadata = metadata
        self._channel = self._session.channel(target, size)
        self._calls: dict[tuple[str, str | None], tuple[Method, Any, NameRecorder]] = {}

    def _prepared(self, method: str, name: str | None, streaming: bool) -> tuple[Method, Any, NameRecorder]:
        key = (method, name)
        found = self._calls.get(key)
        if found is None:
            m = self._protos.method(method)
            if m.client_streaming:
                raise BadInput(f"gRPC method {m.name} takes a stream of requests: not supported yet")
            if m.server_streaming != streaming:
                use = "ctx.grpc(...).stream(...)" if m.server_streaming else "await ctx.grpc(...).call(...)"
                its = "" if m.server_streaming else "not "
                raise BadInput(f"gRPC method {m.name} is {its}server-streaming: use {use}")
            channel = self._channel
            make = channel.unary_stream if streaming else channel.unary_unary
            stub = make(
                m.path,
                request_serializer=m.request.SerializeToString,
                response_deserializer=m.response.FromString,
            )
            found = (m, stub, self._client.recorder_of(name or m.name))
            if len(self._calls) < NAME_CACHE_MAX:
                self._calls[key] = found
        return found

    async def call(
        self,
        method: str,
        request: Any = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        metadata: Any = None,
    ) -> Reply:
        """One unary call; ``request``: a mapping or JSON of the request type, or a message of it."""
        m, stub, rec = self._prepared(method, name, streaming=False)
        msg = m.message(request)
        md = checked_metadata(metadata) if metadata else self._metadata
        client, session = self._client, self._session
        deadline = session.timeout_s if timeout is None else checked_timeout(timeout)
        intended, client.intended_ns = client.intended_ns, 0
        rec.bytes_out += msg.ByteSize()  # the message, not its HTTP/2 framing
        session.running += 1
        sent = perf_counter_ns()
        try:
            reply = await stub(msg, timeout=deadline, metadata=md)
        except session.grpc.aio.AioRpcError as exc:
            session.running -= 1
            code, details = count_failure(session, rec, exc, sent, intended, deadline)
            elapsed_ms = (perf_counter_ns() - sent) / 1e6
            await pause_if_refused(session, client, self._channel, code)
            if client.on_done is not None:
                client.on_done(False)
            return Reply(code, details, None, elapsed_ms)
        except asyncio.CancelledError:
            session.running -= 1
            rec.error(_UNFINISHED)  # cancelled as the run ended
            raise
        except BaseException:
            session.running -= 1  # the script's error (counted by the engine), not the call's
            raise
        session.running -= 1
        now = perf_counter_ns()
        rec.lat.append((now - (intended or sent)) // 1000)
        if intended:
            rec.svc.append((now - sent) // 1000)
        rec.done += 1
        rec.bytes_in += reply.ByteSize()
        if client.failures:
            client.failures = 0
        if client.on_done is not None:
            client.on_done(True)
        return Reply("OK", "", reply, (now - sent) / 1e6)

    def stream(
        self,
        method: str,
        request: Any = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        metadata: Any = None,
    ) -> Stream:
        """A server-streaming call: iterate it (``async for``) for its messages; ``async with`` it to stop
        early. Time to the first message is its TTFB; per stream, messages and the gaps between them go
        to the ``grpc_stream_messages`` and ``grpc_stream_gap_ms`` trends."""
        m, stub, rec = self._prepared(method, name, streaming=True)
        msg = m.message(request)
        md = checked_metadata(metadata) if metadata else self._metadata
        deadline = self._session.timeout_s if timeout is None else checked_timeout(timeout)
        client = self._client
        intended, client.intended_ns = client.intended_ns, 0
        return Stream(stub, msg, md, deadline, self._channel, client, rec, intended)


class Reply:
    """How a unary call ended: ``ok``, the status ``code`` name, ``details``, the response ``message``."""

    __slots__ = ("code", "details", "elapsed_ms", "message")

    def __init__(self, code: str, details: str, message: Any, elapsed_ms: float) -> None:
        self.code = code
        self.details = details
        self.message = message
        """The response message (None when the call failed)."""
        self.elapsed_ms = elapsed_ms

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def json(self) -> dict[str, Any]:
        """The response as a dict (field names as in the .proto, fields at their default value included); {}
        when the call failed."""
        if self.message is None:
            return {}
        return message_json(self.message)

    def __repr__(self) -> str:
        return f"<Reply {self.code} {self.elapsed_ms:.1f} ms>"

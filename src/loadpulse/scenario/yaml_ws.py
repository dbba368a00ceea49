"""A ``ws:`` step in a YAML flow: one WebSocket connection and what is done on it, through ``ctx.ws``.

    - ws:
        url: /ws/echo                   # a path on base_url (http -> ws, https -> wss) or a ws(s):// URL
        name: echo                      # the handshake's name (default WS /path)
        headers: {X-Team: "{{ team }}"} # on the handshake, over the file's headers
        timeout: 5s                     # bounds the connect (default --connect-timeout)
        actions:                        # in order; the connection is closed after the last
          - send: "hello from {{ vu }}"           # a string goes as text, a mapping or list as JSON
          - request: {id: "{{ uuid }}", text: hi} # send and wait for its reply: a round trip, measured
            match: id                             # the reply is the JSON object with the same id
            name: echo reply                      # default: the connection's name + " request"
            timeout: 2s                           # default --timeout; none in time: a timeout failure
            check: {json: {$.text: hi}}
            capture: {said: $.text}
          - recv: 2s                              # the next message, within 2 s (~ for no limit)
            repeat: 3                             # send, request, recv, ping: this many times in a row
          - recv_until: {json: {$.seq: 5}}        # skip messages until one shows this
            timeout: 5s
          - ping: 1s                              # ping -> pong, measured as "<name> ping"
            think_time: 100ms                     # any action: pause after it

Each action is the ``ctx.ws`` call of the same name, so it is measured and counted exactly as in a Python
scenario (docs/websocket.md): a failed connect, a server's close, a request's timeout end the step quietly
(already counted) and the flow goes on with its next step. A ``recv``/``recv_until`` that gets nothing in
time, or that the server's normal close (1000, no error) cuts short, ends the iteration as a script error
named by its YAML path, as ``TimeoutError`` or ``ws.Closed`` would in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, StrictInt, model_validator

from loadpulse.errors import BadInput
from loadpulse.protocols.http.request import check_given_headers
from loadpulse.protocols.ws.address import ws_address
from loadpulse.protocols.ws.close_codes import NORMAL
from loadpulse.protocols.ws.errors import Closed
from loadpulse.scenario.source import think_time_s
from loadpulse.scenario.yaml_env import (
    TEMPLATE,
    FlowError,
    Site,
    StepState,
    as_text,
    check_refs,
    merged_headers,
    refs,
    refused,
    rendered,
)
from loadpulse.scenario.yaml_message import (
    Captures,
    Expect,
    MessageCheck,
    Name,
    Strict,
    message_doc,
    message_text,
    seconds,
)

if TYPE_CHECKING:
    from loadpulse.protocols.ws.connection import WsConnection
    from loadpulse.scenario.ctx import Ctx
    from loadpulse.scenario.yaml_env import Env

VERBS = ("send", "request", "recv", "recv_until", "ping")
_HANDSHAKE_HEADERS = {
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-extensions",
}
_OPTIONS = {
    "send": ("repeat", "think_time"),
    "request": ("match", "name", "timeout", "check", "capture", "repeat", "think_time"),
    "recv": ("check", "capture", "repeat", "think_time"),
    "recv_until": ("timeout", "check", "capture", "think_time"),
    "ping": ("repeat", "think_time"),
}


class WsAction(Strict):
    """One entry of ``actions:``: a verb (its value is the message, a timeout or a condition) and the
    options that go with it."""

    send: Any = None
    request: Any = None
    recv: float | str | None = None
    recv_until: MessageCheck | None = None
    ping: float | str | None = None
    match: str | None = None
    name: Name = None
    timeout: float | str | None = None
    check: MessageCheck | None = None
    capture: Captures = Field(default_factory=dict)
    repeat: Annotated[StrictInt, Field(gt=0, le=1_000_000)] = 1
    think_time: float | str | None = None

    @model_validator(mode="after")
    def _one_verb(self) -> WsAction:
        given = self.model_fields_set
        verbs = [v for v in VERBS if v in given]
        if len(verbs) != 1:
            has = " and ".join(verbs) if verbs else f"only {', '.join(sorted(given))}" if given else "nothing"
            raise ValueError(f"an action is one of {', '.join(VERBS)} (this one has {has})")
        verb = verbs[0]
        wrong = sorted(given - {verb, *_OPTIONS[verb]})
        if wrong:
            raise ValueError(f"{wrong[0]} does not go with {verb} (it takes {', '.join(_OPTIONS[verb])})")
        if verb in ("send", "request") and getattr(self, verb) is None:
            raise ValueError(f"{verb}: needs a message (a string for text, a mapping or list for JSON)")
        return self

    @property
    def verb(self) -> str:
        return next(v for v in VERBS if v in self.model_fields_set)


class WsSpec(Strict):
    url: str
    name: Name = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float | str | None = None
    actions: list[WsAction] = Field(default_factory=list)
    think_time: float | str | None = None


class WsStep(Strict):
    """An entry of a flow's ``requests:`` that is ``ws: {...}``."""

    ws: WsSpec

    def captured(self) -> set[str]:
        return {var for action in self.ws.actions for var in action.capture}

    def compile(self, site: Site) -> WsRun:
        return _compile(self.ws, site)


@dataclass(frozen=True, slots=True)
class _Action:
    verb: str
    message: Any
    """What ``send``/``request`` sends, as written (rendered per iteration when ``templated``)."""
    templated: bool
    timeout: float | None
    match: str | None
    name: str | None
    expect: Expect | None
    until: Expect | None
    repeat: int
    pause_s: float
    where: str
    """``scenarios[0].requests[1].ws.actions[2]``"""
    at: str


@dataclass(frozen=True, slots=True)
class WsRun:
    """A compiled ``ws:`` step."""

    url: str
    url_templated: bool
    headers: dict[str, str]
    headers_templated: bool
    name: str | None
    timeout: float | None
    actions: tuple[_Action, ...]
    pause_s: float
    where: str
    at: str
    state: StepState = field(default_factory=StepState)

    async def run(self, ctx: Ctx, env: Env) -> None:
        url = rendered(self.url, env, f"{self.where}.url") if self.url_templated else self.url
        headers = self.headers
        if self.headers_templated:
            headers = {k: as_text(v) for k, v in rendered(headers, env, f"{self.where}.headers").items()}
        try:
            connect = ctx.ws.connect(url, headers=headers or None, name=self.name, timeout=self.timeout)
        except BadInput as exc:  # a rendered URL that is not one
            raise refused(exc, self.state, env, self.at, self.where) from None
        self.state.ran = True
        async with connect as ws:
            for action in self.actions:
                await _act(action, ws, ctx, env)
        if self.pause_s:
            await ctx.sleep(self.pause_s)


async def _act(a: _Action, ws: WsConnection, ctx: Ctx, env: Env) -> None:
    for _ in range(a.repeat):
        verb = a.verb
        if verb == "send" or verb == "request":
            msg = rendered(a.message, env, f"{a.where}.{verb}") if a.templated else a.message
            if verb == "send":
                await (ws.send(msg) if isinstance(msg, str | bytes) else ws.send_json(msg))
            else:
                if not isinstance(msg, str | bytes | dict | list):  # a number, true: sent as JSON
                    msg = json.dumps(msg)
                if a.match is not None and not (isinstance(msg, dict) and a.match in msg):
                    raise BadInput(f"{a.at}: {a.where}.match: {_no_field(a.match)}")
                reply = await ws.request(msg, match=a.match, timeout=a.timeout, name=a.name)
                if a.expect is not None:
                    label = a.name or f"{ws.name} request"
                    _expect(a.expect, ctx, env, reply, label, f"{a.where}.request", "the reply")
        elif verb == "recv" or verb == "recv_until":
            until = a.until
            try:
                if until is None:
                    got = await ws.recv(a.timeout)
                else:
                    got = await ws.recv_until(_holding(until), a.timeout)
            except TimeoutError:
                raise FlowError(
                    f"{a.where}.{verb}: no {_wanted(until)} within {a.timeout or 0:g} s"
                ) from None
            except Closed as exc:
                if exc.code != NORMAL or ws.error is not None:
                    raise  # counted under its error kind already: the step ends quietly
                # a normal close is no failure of the connection, but the message this step waits for
                # never came: as missing as one that timed out
                raise FlowError(
                    f"{a.where}.{verb}: the server closed the connection (1000) before the {_wanted(until)}"
                ) from None
            if a.expect is not None:
                _expect(a.expect, ctx, env, got, ws.name, f"{a.where}.{verb}", "the message")
        else:
            await ws.ping(a.timeout)
        if a.pause_s:
            await ctx.sleep(a.pause_s)


def _wanted(until: Expect | None) -> str:
    return "message" if until is None else f"message with {until.describe()}"


def _holding(until: Expect) -> Callable[[str | bytes], bool]:
    return lambda m: until.holds(message_doc(m), message_text(m))


def _expect(
    expect: Expect, ctx: Ctx, env: Env, message: str | bytes, label: str, where: str, what: str
) -> None:
    doc = message_doc(message) if expect.json or expect.captures else None
    expect.apply(ctx, env, doc, message_text(message), label, where, what)


def _no_field(match: str) -> str:
    return (
        f"{match!r} correlates JSON objects by a field: request a mapping that has it, like "
        f"request: {{{match}: '{{{{ uuid }}}}', text: hi}}"
    )


def _compile(spec: WsSpec, site: Site) -> WsRun:
    names = set(site.names)
    where, at = site.where("ws"), site.at("ws")
    check_refs([spec.url, *spec.headers.values()], names, at, where)
    url_templated = bool(refs(spec.url))
    if not url_templated:
        try:  # a path is checked on a stand-in base: the real one may come from -u
            ws_address(spec.url, "http://127.0.0.1" if spec.url.startswith("/") else None)
        except BadInput as exc:
            raise BadInput(f"{site.at('ws', 'url')}: {site.where('ws', 'url')}: {exc}") from None
    reserved = [k for k in spec.headers if k.lower() in _HANDSHAKE_HEADERS]
    if reserved:
        raise BadInput(
            f"{site.at('ws', 'headers', reserved[0])}: {site.where('ws', 'headers', reserved[0])}: the "
            "WebSocket handshake sets this header itself; leave it out"
        )
    static = {k: v for k, v in spec.headers.items() if not refs(v)}
    if static:
        try:
            check_given_headers(static, "headers")
        except BadInput as exc:
            raise BadInput(f"{site.at('ws', 'headers')}: {site.where('ws', 'headers')}: {exc}") from None
    headers = merged_headers(site.file_headers, spec.headers, names)
    name = spec.name
    if name is None and url_templated:  # named as written, not once per rendered URL
        name = f"WS {spec.url.split('?', 1)[0]}"
    actions = []
    for k, action in enumerate(spec.actions):
        actions.append(_action(action, site, k, names))
        names |= set(action.capture)
    return WsRun(
        spec.url,
        url_templated,
        headers,
        any(refs(v) for v in headers.values()),
        name,
        _timeout(spec.timeout, site, ("ws", "timeout")),
        tuple(actions),
        think_time_s(spec.think_time, f"{site.at('ws', 'think_time')}: {where}"),
        where,
        at,
    )


def _action(action: WsAction, site: Site, k: int, names: set[str]) -> _Action:
    loc = ("ws", "actions", k)
    where, at = site.where(*loc), site.at(*loc)
    verb = action.verb
    message = action.send if verb == "send" else action.request
    check_refs([message], names, site.at(*loc, verb), f"{where}.{verb}")
    whole = isinstance(message, str) and TEMPLATE.fullmatch(message.strip()) is not None
    match = action.match
    if match is not None and not match.strip():
        raise BadInput(f"{site.at(*loc, 'match')}: {where}.match: give a field name, like match: id")
    if (
        verb == "request"
        and match is not None
        and not whole
        and not (isinstance(message, dict) and match in message)
    ):
        raise BadInput(f"{site.at(*loc, 'match')}: {where}.match: {_no_field(match)}")
    # recv: and ping: are given their timeout; request: and recv_until: have a timeout: beside them
    key = verb if verb in ("recv", "ping") else "timeout"
    timeout = _timeout(getattr(action, key), site, (*loc, key))
    until = action.recv_until
    if verb == "recv_until" and (until is None or not (until.json_ or until.body_contains is not None)):
        condition = "give json: {PATH: VALUE} and/or body_contains: TEXT"
        raise BadInput(f"{site.at(*loc, verb)}: {where}.recv_until: {condition}")
    return _Action(
        verb,
        message,
        bool(refs(message)),
        timeout,
        action.match,
        action.name,
        Expect.of(action.check, action.capture),
        Expect.of(action.recv_until, {}) if action.recv_until is not None else None,
        action.repeat,
        think_time_s(action.think_time, f"{site.at(*loc, 'think_time')}: {where}"),
        where,
        at,
    )


def _timeout(value: Any, site: Site, loc: tuple[str | int, ...]) -> float | None:
    return None if value is None else seconds(value, f"{site.at(*loc)}: {site.where(*loc)}")

"""Sink specs: where tracked items show up, as written with ``--sink`` or in a scenario's ``pipeline``
(pure parsing, no I/O).

sql:URL#QUERY        rows with a column ``id`` and optionally ``at``, ``worker``, ``status`` (SQLAlchemy URL:
                     sqlite or postgresql); a ``:since`` parameter makes polling incremental
redis:URL#KEY        a list, set, sorted set (score = at) or stream of ids or JSON objects with those fields
http:URL#$.path      a JSON endpoint listing ids or objects at that path ($ for the whole document)
webhook:PORT         loadpulse listens on 127.0.0.1:PORT (0: any free port) for POSTs of those objects
a Python callable    from a scenario file, returning an iterable of ids or mappings with those fields
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.jsonpath import parse_json_path
from loadpulse.redaction import redact_text

KINDS = ("sql", "redis", "http", "webhook")
SQL_URL_PREFIXES = ("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")
REDIS_URL_PREFIXES = ("redis://", "rediss://", "unix://")

SinkFunction = Callable[[], Iterable[Any]]


@dataclass(frozen=True, slots=True)
class SinkSpec:
    kind: str
    """sql, redis, http, webhook or callable."""
    target: str = ""
    """The URL (sql, redis, http), empty for webhook and callable."""
    selector: str = ""
    """The query (sql), key (redis) or JSON path (http)."""
    port: int = 0
    """webhook only; 0 asks the system for a free port."""
    fn: SinkFunction | None = None
    where: str = "--sink"
    """Where it was declared, for messages: --sink, or the scenario file's pipeline entry."""

    @property
    def label(self) -> str:
        """The spec as the user wrote it, with credentials redacted, for one-line messages."""
        if self.kind == "callable":
            return f"{self.where} {getattr(self.fn, '__name__', 'callable')}()"
        if self.kind == "webhook":
            return f"{self.where} 'webhook:{self.port}'"
        return f"{self.where} {redact_text(f'{self.kind}:{self.target}#{self.selector}')!r}"


def parse_sink(spec: str | SinkFunction, where: str = "--sink") -> SinkSpec:
    """``spec`` as a :class:`SinkSpec`; BadInput (one line: the problem and the fix) when malformed."""
    if not isinstance(spec, str):
        return _callable_spec(spec, where)
    shown = f"{where} {redact_text(spec)!r}"
    kind, sep, rest = spec.partition(":")
    kind = kind.strip()
    if not sep or kind not in KINDS:
        raise BadInput(f"{shown}: {_unknown_kind(kind)}")
    if kind == "webhook":
        return SinkSpec("webhook", port=_port(rest.strip(), shown), where=where)
    target, sep, selector = rest.partition("#")
    target, selector = target.strip(), selector.strip()
    example = {
        "sql": "sql:sqlite:///jobs.db#SELECT id, done_at AS at, worker FROM jobs",
        "redis": "redis:redis://127.0.0.1:6379/0#done",
        "http": "http:http://127.0.0.1:8000/jobs#$.items",
    }[kind]
    wanted = {"sql": "a query", "redis": "a key", "http": "a JSON path"}[kind]
    if not target:
        raise BadInput(f"{shown}: a {kind} sink needs a URL after '{kind}:', like {example}")
    prefixes = {"sql": SQL_URL_PREFIXES, "redis": REDIS_URL_PREFIXES, "http": ("http://", "https://")}[kind]
    if not target.startswith(prefixes):
        names = {"sql": "sqlite:/// or postgresql://", "redis": "redis://", "http": "http:// or https://"}
        raise BadInput(f"{shown}: a {kind} sink needs a {names[kind]} URL after '{kind}:', like {example}")
    if not sep or not selector:
        raise BadInput(f"{shown}: a {kind} sink needs {wanted} after '#', like {example}")
    if kind == "http":
        try:
            parse_json_path(selector)
        except ValueError as exc:
            raise BadInput(f"{shown}: {exc}") from None
    if kind == "sql":
        target = target.replace("postgres://", "postgresql://", 1)
    return SinkSpec(kind, target, selector, where=where)


def _unknown_kind(kind: str) -> str:
    from loadpulse.profiles.registry import did_you_mean

    if kind in ("sqlite", "postgresql", "postgres"):  # a database URL given without the sql: kind
        return f"unknown sink kind {kind!r}; write sql:{kind}://…#QUERY"
    if kind in ("https", "rediss"):
        return f"unknown sink kind {kind!r}; write {kind[:-1]}:{kind}://…"
    return f"unknown sink kind {kind!r}{did_you_mean(kind, [*KINDS, 'a Python function'])}"


def _port(text: str, shown: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise BadInput(
            f"{shown}: port {text!r} is not a port number 0-65535, e.g. webhook:9900 (the port the system "
            "under test posts to)"
        )
    return int(text)


def _callable_spec(fn: object, where: str) -> SinkSpec:
    name = getattr(fn, "__name__", type(fn).__name__)
    if not callable(fn):
        raise BadInput(
            f"{where}: {name} is not a sink; give a spec string like 'sql:URL#QUERY' or a function "
            "returning ids or {'id': ...} mappings"
        )
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise BadInput(
            f"{where} {name}(): a sink function must be a plain (not async) function: it is polled in a "
            "worker thread, off the event loop"
        )
    return SinkSpec("callable", fn=fn, where=where)

"""Probe sources: each samples its target and returns named numbers. Blocking I/O: the sampler runs them
in a worker thread so the load's event loop never waits on a slow target."""

from __future__ import annotations

import json
import os
import shlex
import urllib.request
from collections.abc import Callable
from typing import Any

from loadpulse.jsonpath import lookup, parse_json_path
from loadpulse.probes.group_values import GroupReading, group_name, group_series
from loadpulse.probes.spec import ProbeSpec

TIMEOUT_S = 2.0
MESSAGE_CHARS = 200
"""Remote text (an error, a value that is not a number) is cut to this in messages: a Redis INFO reply or
an HTML error page is 30 KB, and a message is one line."""


class ProbeError(Exception):
    """A probe could not read its value this time."""


class ProbeMissing(ProbeError):
    """The target answered but holds no value there yet (a key not set, a JSON field or a row not there,
    a file not created): a gap in the series, not bad input, even at the start."""


def short(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Source:
    def __init__(self, spec: ProbeSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.groups: dict[str, float] | None = None
        """A group probe's values by group at its latest good sample (at most GROUP_CAP); None for a
        probe of one value."""
        self.note: str | None = None
        """Something the sampler should say once (a reading cut at the group cap); set by sample()."""

    def sample(self) -> dict[str, float]:
        raise NotImplementedError

    def series(self) -> tuple[str, ...] | None:
        """The series names this probe produces (for checking thresholds); None: ``name`` or any
        ``name.KEY`` (a callable returning a mapping)."""
        return group_series(self.name) if self.groups is not None else (self.name,)

    def close(self) -> None:
        """Release connections (nothing by default)."""

    def _grouped(self, reading: GroupReading) -> dict[str, float]:
        self.groups = reading.kept
        self.note = reading.note
        return reading.series()


class ProcessSource(Source):
    """CPU %, RSS, open files, connections and threads of a process found by PID or by name."""

    def __init__(self, spec: ProbeSpec) -> None:
        super().__init__(spec)
        self._proc: Any = None

    def _find(self) -> Any:
        import psutil

        t = self.spec.target
        if t.isdigit():
            return psutil.Process(int(t))
        me = os.getpid()
        for p in psutil.process_iter(["name", "cmdline"]):
            cmd = " ".join(p.info.get("cmdline") or [])
            # by process name, else by a piece of its command line; never the generator itself
            if p.pid != me and (p.info.get("name") == t or t in cmd):
                return p
        raise ProbeError(f"no process named {t!r}")

    def series(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{k}" for k in ("cpu", "rss", "threads", "fds", "connections"))

    def sample(self) -> dict[str, float]:
        import psutil

        try:
            if self._proc is None or not self._proc.is_running():
                self._proc = self._find()
                self._proc.cpu_percent(None)  # the first call primes the CPU counter
            p = self._proc
            with p.oneshot():
                out = {
                    f"{self.name}.cpu": float(p.cpu_percent(None)),
                    f"{self.name}.rss": p.memory_info().rss / 2**20,
                    f"{self.name}.threads": float(p.num_threads()),
                }
                try:
                    out[f"{self.name}.fds"] = float(p.num_fds())
                    out[f"{self.name}.connections"] = float(len(p.net_connections()))
                except (psutil.AccessDenied, AttributeError):
                    pass
            return out
        except psutil.NoSuchProcess:
            self._proc = None
            raise ProbeError(f"process {self.spec.target} is gone") from None
        except psutil.AccessDenied as exc:
            raise ProbeError(f"not allowed to read process {self.spec.target}: {exc}") from None


class FileSource(Source):
    def sample(self) -> dict[str, float]:
        try:
            return {self.name: float(os.stat(self.spec.target).st_size)}
        except FileNotFoundError:
            raise ProbeMissing(f"{self.spec.target} does not exist (yet)") from None
        except OSError as exc:
            raise ProbeError(f"{self.spec.target}: {exc.strerror}") from None


class HttpSource(Source):
    def __init__(self, spec: ProbeSpec) -> None:
        super().__init__(spec)
        self.path = parse_json_path(spec.selector)

    def sample(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(self.spec.target, timeout=TIMEOUT_S) as resp:
                doc = json.loads(resp.read())
        except (OSError, ValueError) as exc:
            raise ProbeError(f"{self.spec.target} does not answer with JSON: {short(exc)}") from None
        try:
            return {self.name: _number(lookup(doc, self.path), self.spec.selector)}
        except KeyError as exc:
            raise ProbeMissing(f"{self.spec.selector}: {short(exc.args[0])}") from None


class SqlSource(Source):
    def __init__(self, spec: ProbeSpec) -> None:
        super().__init__(spec)
        from sqlalchemy import create_engine

        from loadpulse.redaction import redact_url

        self.where = redact_url(spec.target)
        url = spec.target.replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            self.engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:
            raise ProbeError(f"{self.where}: {exc}") from None

    columns: int | None = None
    """The query's width once it ran: 1, a value (the first row's); 2, a (group, value) per row."""

    def sample(self) -> dict[str, float]:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        query = self.spec.selector
        try:
            with self.engine.connect() as conn:
                result = conn.execute(text(query))
                width = len(result.keys())
                if width not in (1, 2):
                    result.close()
                    raise ProbeError(
                        f"{short(query, 80)} returns {width} columns; a probe query returns one (a value) "
                        "or two (a group and its value, one row per group)"
                    )
                self.columns = width
                if width == 1:
                    return {self.name: _number(result.scalar(), query)}
                reading = GroupReading(self.name)
                for part in result.partitions(500):  # rows past the cap are counted, not kept
                    for key, value in part:
                        reading.add(key, _number(value, f"{short(query, 60)} group {group_name(key)!r}"))
        except SQLAlchemyError as exc:
            detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
            raise ProbeError(f"{self.where}: {short(detail)}") from None
        return self._grouped(reading)

    def series(self) -> tuple[str, ...]:
        if self.columns == 1:
            return (self.name,)
        # Two columns, or not run yet (the sampler checks thresholds after its first sample when it can).
        return group_series(self.name)

    def close(self) -> None:
        self.engine.dispose()


def is_info(command: str) -> bool:
    words = command.split(None, 1)
    return bool(words) and words[0].upper() == "INFO"


class RedisSource(Source):
    def __init__(self, spec: ProbeSpec) -> None:
        super().__init__(spec)
        try:
            import redis
        except ImportError:
            raise ProbeError(
                "the redis probe needs the redis package: pip install 'loadpulse[redis]'"
            ) from None
        self.client = redis.Redis.from_url(
            spec.target, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        command, self.info_field = spec.selector, ""
        if is_info(command):  # INFO SECTION#FIELD: one number out of INFO's mapping
            command, _, self.info_field = command.partition("#")
        self.command = shlex.split(command)

    def sample(self) -> dict[str, float]:
        import redis

        try:
            value = self.client.execute_command(*self.command)  # type: ignore[no-untyped-call]
        except redis.RedisError as exc:
            raise ProbeError(f"{self.spec.target} {self.spec.selector}: {short(exc)}") from None
        if self.info_field:
            return {self.name: self._info_value(value)}
        if isinstance(value, dict):  # HGETALL: a value per field
            reading = GroupReading(self.name)
            for key, v in value.items():
                if isinstance(v, bytes):
                    v = v.decode("utf-8", "replace")
                reading.add(key, _number(v, f"{self.spec.selector} field {group_name(key)!r}"))
            return self._grouped(reading)
        if isinstance(value, list | tuple | set):
            value = len(value)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return {self.name: _number(value, self.spec.selector)}

    def _info_value(self, info: Any) -> float:
        """One field of an INFO reply (redis-py parses it into a mapping), e.g. memory#used_memory."""
        if not isinstance(info, dict):
            raise ProbeError(f"{self.spec.selector}: INFO gave {short(repr(info), 60)}, not its fields")
        if self.info_field not in info:
            from loadpulse.profiles.registry import did_you_mean

            hint = did_you_mean(self.info_field, sorted(map(str, info)))
            raise ProbeError(short(f"INFO has no field {self.info_field!r}{hint}"))
        return _number(info[self.info_field], self.info_field)

    def close(self) -> None:
        self.client.close()


class CallableSource(Source):
    """A function from a scenario file returning a number or a {suffix: number} mapping."""

    def __init__(self, name: str, fn: Callable[[], Any]) -> None:
        super().__init__(ProbeSpec(name, "callable", getattr(fn, "__name__", "callable")))
        self.fn = fn

    def sample(self) -> dict[str, float]:
        try:
            value = self.fn()
        except Exception as exc:
            raise ProbeError(f"{type(exc).__name__}: {short(exc)}") from None
        if isinstance(value, dict):
            return {f"{self.name}.{k}": _number(v, str(k)) for k, v in value.items()}
        return {self.name: _number(value, self.spec.target)}

    def series(self) -> None:
        return None


def _number(value: Any, what: str) -> float:
    if value is None:  # a key not set, a NULL or no row, JSON null: nothing there yet
        raise ProbeMissing(f"{short(what, 80)} gave no value")
    if isinstance(value, bool):
        raise ProbeError(f"{short(what, 80)} gave {value!r}, not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProbeError(f"{short(what, 80)} gave {short(repr(value), 60)}, not a number") from None


def make_source(spec: ProbeSpec) -> Source:
    kinds: dict[str, Callable[[ProbeSpec], Source]] = {
        "process": ProcessSource,
        "file": FileSource,
        "http": HttpSource,
        "sql": SqlSource,
        "redis": RedisSource,
    }
    return kinds[spec.kind](spec)

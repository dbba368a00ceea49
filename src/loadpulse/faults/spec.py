"""Faults on the run's timeline, as a scenario file or ``--fault`` declares them (pure: no I/O, no clock).

One entry is one :class:`FaultSpec`; every spelling (a Python file's ``faults = [...]``, YAML ``faults:``,
``--fault JSON``) parses through :func:`parse_fault`::

    {"at": "30s", "for": "10s", "proxy": "db", "latency": "200ms"}          # a proxy's faults for a while
    {"at": "45s", "kill": "process:worker.py"}                              # SIGKILL every match
    {"every": "20s", "kill": "random process:worker", "restart": "python worker.py"}
    {"at": "10s", "for": "5s", "kill": "cmd:worker.py --queue", "signal": "STOP"}   # SIGSTOP, then SIGCONT
    {"at": "1m", "run": "docker restart db"}                                # any shell command

Timing: ``at`` (from the load's start; 0 when neither ``at`` nor ``every`` is given), ``every`` (repeats,
from ``at`` or else from one period in), bounded by ``count`` and/or ``until``; ``for``: how long it lasts
(a proxy fault without one lasts to the run's end; a kill with ``restart`` stays down that long before
the restart; a STOP is undone by SIGCONT after it). ``name`` names it in thresholds
(``recovery{fault=NAME}.max``); ``settle`` overrides the recovery settling window (recovery.py).

Every problem is a :class:`BadFault` (a ValueError, and BadInput for the CLI: exit 2) whose one line names
the entry (``flows.yaml:12: faults[1]``, ``--fault #2``) and the key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import PROXY_FAULT_KEYS, BadFault, ProxyFaults, parse_proxy_faults
from loadpulse.faults.proxy_spec import NAME_MAX, ProxySpec, check_name, required_text
from loadpulse.units import duration_value

Kind = Literal["proxy", "kill", "pause", "run"]
KINDS: tuple[str, ...] = ("proxy", "kill", "run")
"""The keys that say what a fault does (``pause`` is a kill with ``signal: STOP``)."""
SIGNALS = ("KILL", "TERM", "STOP")
TIMING_KEYS = ("at", "every", "count", "until", "for", "name", "settle")
KILL_KEYS = ("signal", "restart")
TARGET_MODES = ("process", "pid", "cmd")


@dataclass(frozen=True, slots=True)
class KillTarget:
    """Which processes a kill or pause acts on: ``process:NAME``, ``pid:N`` or ``cmd:SUBSTRING`` (``A & B``:
    each, in any order), one
    picked at random of the matches with a ``random `` prefix."""

    mode: Literal["process", "pid", "cmd"]
    value: str
    random: bool = False

    def __str__(self) -> str:
        return f"{'random ' if self.random else ''}{self.mode}:{self.value}"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    name: str
    kind: Kind
    target: str
    """The proxy's name, the kill target as written, or the shell command."""
    where: str
    """Where it was declared (``flows.yaml:12: faults[1]``), for messages."""
    at_s: float = 0.0
    every_s: float | None = None
    count: int | None = None
    until_s: float | None = None
    for_s: float | None = None
    proxy: ProxyFaults | None = None
    kill: KillTarget | None = None
    signal: str = "KILL"
    restart: str | None = None
    settle_s: float | None = None
    named: bool = False
    """The name was given (not made up from the kind and target): given twice, it is an error."""

    def describe(self) -> str:
        """What it does, one line (the Summary JSON's ``detail``)."""
        if self.kind == "proxy":
            assert self.proxy is not None
            return self.proxy.describe()
        if self.kind == "run":
            return f"run: {self.target}"
        verb = {"KILL": "SIGKILL", "TERM": "SIGTERM", "STOP": "SIGSTOP"}[self.signal]
        return f"{verb} {self.target}" + (" then SIGCONT" if self.kind == "pause" else "")


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The run's faults and the proxies they act on."""

    faults: tuple[FaultSpec, ...] = ()
    proxies: dict[str, ProxySpec] = field(default_factory=dict)
    planned_by: str = ""
    """The command-line flag that set the run's planned duration (``--preset smoke``), if one did: a
    fault past that end says so."""

    def __bool__(self) -> bool:
        return bool(self.faults or self.proxies)

    def merged(self, other: FaultPlan) -> FaultPlan:
        """Both plans' faults and proxies (a file's and the command line's); BadFault on a name twice."""
        for name, proxy in other.proxies.items():
            if name in self.proxies:
                raise BadFault(
                    f"{proxy.where}: proxy {name!r} is already declared ({self.proxies[name].where})"
                )
        faults = unique_names((*self.faults, *other.faults))
        return FaultPlan(faults, {**self.proxies, **other.proxies}, self.planned_by or other.planned_by)


def _duration(entry: Mapping[str, object], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        return duration_value(value, f"{where}.{key}")
    except BadInput as exc:  # units' BadInput is not a ValueError: the same line as a BadFault
        raise BadFault(str(exc)) from None


def parse_kill_target(text: object, what: str) -> KillTarget:
    raw = required_text(text, what)
    rnd = raw.startswith("random ")
    body = raw.removeprefix("random ").strip()
    mode, sep, value = body.partition(":")
    if not sep or mode not in TARGET_MODES or not value.strip():
        raise BadFault(
            f"{what} {raw!r} is not a process target: write process:NAME, pid:N, cmd:SUBSTRING or "
            "random process:NAME"
        )
    value = value.strip()
    if mode == "pid" and (not value.isdigit() or int(value) <= 0):
        raise BadFault(f"{what} {raw!r}: a pid is a whole number greater than zero")
    return KillTarget(mode, value, rnd)  # type: ignore[arg-type]


def _signal(value: object, what: str) -> str:
    text = str(value).strip().upper().removeprefix("SIG") if isinstance(value, str) else ""
    if text not in SIGNALS:
        raise BadFault(f"{what} must be KILL, TERM or STOP, not {value!r}")
    return text


def _default_name(kind: str, target: str, index: int) -> str:
    if kind == "run":
        return f"run-{index + 1}"
    short = target.removeprefix("random ").split(":", 1)[-1] if kind != "proxy" else target
    short = short.split(" & ", 1)[0]  # cmd:worker.py & --queue jobs: named after its first piece
    short = re.sub(r"[^A-Za-z0-9_.-]+", "_", short)[:40].strip("_") or "target"
    return f"{kind}-{short}"[:NAME_MAX]


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_fault(entry: object, where: str, index: int = 0) -> FaultSpec:
    """One fault entry, checked; ``where`` names it in messages (``flows.yaml:12: faults[1]``)."""
    if not isinstance(entry, Mapping):
        raise BadFault(
            f"{where}: a fault is a mapping like {{'at': '30s', 'for': '10s', 'proxy': 'db', "
            f"'latency': '200ms'}}, not {type(entry).__name__}"
        )
    keys = [str(k) for k in entry]
    kinds = [k for k in keys if k in KINDS]
    if not kinds:
        every_key = (*KINDS, *TIMING_KEYS, *KILL_KEYS, *sorted(PROXY_FAULT_KEYS))
        unknown = [k for k in keys if k not in every_key and k.replace("-", "_") not in PROXY_FAULT_KEYS]
        if unknown:
            hint = _did_you_mean(unknown[0], KINDS) or _did_you_mean(unknown[0], every_key)
            raise BadFault(
                f"{where}: no fault kind: unknown key {unknown[0]!r}{hint}; give proxy: NAME, kill: TARGET "
                "or run: COMMAND"
            )
        raise BadFault(f"{where}: no fault kind: give proxy: NAME, kill: TARGET or run: COMMAND")
    if len(kinds) > 1:
        raise BadFault(f"{where}: one fault does one thing: {kinds[0]!r} and {kinds[1]!r} both given")
    kind = kinds[0]
    allowed = {*TIMING_KEYS, kind}
    allowed |= (
        {k.replace("_", "-") for k in PROXY_FAULT_KEYS} | PROXY_FAULT_KEYS if kind == "proxy" else set()
    )
    allowed |= set(KILL_KEYS) if kind == "kill" else set()
    for key in keys:
        if key not in allowed:
            known = sorted(k for k in allowed if "-" not in k)
            hint = _did_you_mean(key, known) or _did_you_mean(key, (*KINDS, *KILL_KEYS, *PROXY_FAULT_KEYS))
            raise BadFault(f"{where}.{key}: unknown key for a {kind} fault{hint} (use {', '.join(known)})")
    at = _duration(entry, "at", where)
    every = _duration(entry, "every", where)
    for_s = _duration(entry, "for", where)
    until = _duration(entry, "until", where)
    settle = _duration(entry, "settle", where)
    if every is not None and every <= 0:
        raise BadFault(f"{where}.every must be greater than zero")
    if for_s is not None and for_s <= 0:
        raise BadFault(f"{where}.for must be greater than zero (leave it out for an instant fault)")
    count = entry.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise BadFault(f"{where}.count must be a whole number of times, at least 1, not {count!r}")
    if every is None and (count is not None or until is not None):
        raise BadFault(
            f"{where}: {'count' if count is not None else 'until'} goes with every: (a repeated fault)"
        )
    if every is not None and for_s is not None and for_s >= every:
        raise BadFault(
            f"{where}.for ({for_s:g}s) must be shorter than every ({every:g}s): it would overlap itself"
        )
    start = at if at is not None else (every if every is not None else 0.0)
    if until is not None and until < start:
        raise BadFault(f"{where}.until ({until:g}s) is before the first time it fires ({start:g}s)")
    name_value = entry.get("name")
    spec_kw: dict[str, object] = {}
    if kind == "proxy":
        target = required_text(entry["proxy"], f"{where}.proxy")
        settings = {k: v for k, v in entry.items() if str(k).replace("-", "_") in PROXY_FAULT_KEYS}
        if not settings:
            raise BadFault(
                f"{where}: a proxy fault needs what to inject: one of {', '.join(sorted(PROXY_FAULT_KEYS))}"
            )
        faults = parse_proxy_faults({str(k): v for k, v in settings.items()}, where)
        if not faults.active:
            raise BadFault(f"{where}: these proxy settings inject nothing ({faults.describe()})")
        spec_kw["proxy"] = faults
        fault_kind: Kind = "proxy"
    elif kind == "kill":
        target_obj = parse_kill_target(entry["kill"], f"{where}.kill")
        target = str(target_obj)
        signal = _signal(entry.get("signal", "KILL"), f"{where}.signal")
        restart = entry.get("restart")
        if restart is not None:
            restart = required_text(restart, f"{where}.restart")
            if signal == "STOP":
                raise BadFault(
                    f"{where}.restart: a STOP pauses the process (SIGCONT ends it): nothing to restart"
                )
        elif for_s is not None and signal != "STOP":
            raise BadFault(
                f"{where}.for: a kill is instant; 'for' goes with restart: (how long it stays down) or "
                "signal: STOP (how long it is paused)"
            )
        spec_kw.update(kill=target_obj, signal=signal, restart=restart)
        fault_kind = "pause" if signal == "STOP" else "kill"
    else:
        target = required_text(entry["run"], f"{where}.run")
        if for_s is not None:
            raise BadFault(f"{where}.for: a run: fault lasts as long as its command runs; leave 'for' out")
        fault_kind = "run"
    name = (
        required_text(name_value, f"{where}.name")
        if name_value is not None
        else _default_name(kind, target, index)
    )
    check_name(name, f"{where}.name")
    return FaultSpec(
        name=name,
        kind=fault_kind,
        target=target,
        where=where,
        at_s=start,
        every_s=every,
        count=count,
        until_s=until,
        for_s=for_s,
        settle_s=settle,
        named=name_value is not None,
        **spec_kw,  # type: ignore[arg-type]
    )


def unique_names(faults: Sequence[FaultSpec]) -> tuple[FaultSpec, ...]:
    """The faults with distinct names: a name given twice is an error; a default name met again gets
    ``-2``, ``-3`` …"""
    from dataclasses import replace

    seen: dict[str, FaultSpec] = {}
    out = []
    for f in faults:
        name = f.name
        if name in seen:
            if f.named:
                raise BadFault(
                    f"{f.where}.name: {name!r} is already the name of {seen[name].where}: give each fault "
                    "its own name"
                )
            n = 2
            while f"{name}-{n}" in seen:
                n += 1
            name = f"{name}-{n}"
            f = replace(f, name=name)
        seen[name] = f
        out.append(f)
    return tuple(out)


def parse_faults(
    entries: object, where: str, line_of: Callable[[int], str] | None = None
) -> tuple[FaultSpec, ...]:
    """A file's ``faults`` list; ``where``: the file (``flows.yaml``) or a prefix; ``line_of(i)``, when
    given, is the ``file:line`` of entry ``i`` (YAML, a Python file's AST)."""
    if entries is None:
        return ()
    if isinstance(entries, Mapping | str) or not isinstance(entries, Sequence):
        raise BadFault(f"{where}: faults must be a list of fault mappings, not {type(entries).__name__}")
    out = []
    for i, entry in enumerate(entries):
        prefix = line_of(i) if line_of is not None else where
        out.append(parse_fault(entry, f"{prefix}: faults[{i}]", i))
    return unique_names(out)

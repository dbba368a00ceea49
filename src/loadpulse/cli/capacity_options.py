"""The flags of `loadpulse capacity`, declared once, and what they make: the search's settings, the URL or
file target, the presets (``breakpoint``, ``stress``)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer

from loadpulse.cli.capacity_target import FileTarget, UrlTarget
from loadpulse.cli.http import positive, read_body
from loadpulse.cli.pipeline_options import DrainTimeoutOpt, SinkOpt, StuckAfterOpt
from loadpulse.cli.report_options import NoHistoryOpt, ProbeOpt, RunNameOpt, SecretOpt, StoreOpt, TagOpt
from loadpulse.cli.run import make_options
from loadpulse.cli.worker_options import ReserveCoresOpt, WorkersOpt, worker_count
from loadpulse.errors import BadInput
from loadpulse.profiles.capacity_search import SearchSettings
from loadpulse.protocols.http.request import parse_header
from loadpulse.scenario.loader import load_scenario
from loadpulse.spec import METHODS, RequestSpec, TimeoutSpec, validated
from loadpulse.units import parse_duration

CapacityFlags = Mapping[str, Any]

PRESETS: dict[str, dict[str, Any]] = {
    # seed 001 "find the breaking point": rates doubling from 10/s, 30 s steps, 15 minutes at most
    "breakpoint": {"start_rate": 10.0, "step_duration": "30s", "max_duration": "15m"},
    # seed 001's stress test in users: 100 concurrent and up, to 2,000 at most
    "stress": {
        "vus": True,
        "start_rate": 100.0,
        "max_rate": 2000.0,
        "step_duration": "30s",
        "max_duration": "15m",
    },
}
DEFAULTS: dict[str, Any] = {
    "start_rate": 10.0,
    "step_duration": "30s",
    "max_duration": None,
    "max_rate": None,
}


def _opt(kind: Any, *names: str, help: str, metavar: str | None = None) -> Any:
    return Annotated[kind, typer.Option(*names, help=help, metavar=metavar, show_default=False)]


_FLOAT, _TEXT, _LIST = float | None, str | None, list[str] | None
OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("slo", _opt(_LIST, "--slo", help="An objective every step must meet, in threshold syntax: 'p95<200ms', "
     "'errors.rate<1%', 'pipeline.e2e.p95<2s'; repeatable."), None),
    ("preset", _opt(_TEXT, "--preset", help="breakpoint: rates from 10/s, 30 s steps, 15 min at most; "
     "stress: --vus from 100 to 2,000 VUs (seed 001). Flags given override it."), None),
    ("start_rate", _opt(_FLOAT, "--start-rate", help="The first step's rate (/s), or VU count with --vus. "
     "Default 10."), None),
    ("max_rate", _opt(_FLOAT, "--max-rate", help="Never step above this rate (or VU count)."), None),
    ("growth", _opt(float, "--growth", help="Until a step fails, each is N times the last (2)."), 2.0),
    ("precision", _opt(str, "--precision", help="Stop once the limit is bracketed this tightly (5%)."), "5%"),
    ("step_duration", _opt(_TEXT, "--step-duration", help="The longest one step holds (30s); it ends sooner "
     "once its latency settled."), None),
    ("max_duration", _opt(_TEXT, "--max-duration", help="The whole search's time budget (e.g. 10m): no step "
     "starts that would end past it."), None),
    ("vus", _opt(bool, "--vus", help="Closed-model steps: search the number of virtual users "
     "(connections for a URL) instead of a rate."), False),
    ("method", _opt(_TEXT, "-m", "--method", help="URL: HTTP method (GET, or POST with a body)."), None),
    ("header", _opt(_LIST, "-H", "--header", help="URL: 'Name: value' header; repeatable."), None),
    ("body", _opt(_TEXT, "-b", "--body", help="URL: request body, or @file."), None),
    ("json_body", _opt(_TEXT, "--json-body", help="URL: JSON body (sets Content-Type), or @file."), None),
    ("connections", _opt(int | None, "-c", "--connections", help="URL: connections opened before each "
     "open-model step, more on demand (50)."), None),
    ("max_in_flight", _opt(int | None, "--max-in-flight", help="URL: most requests outstanding; arrivals "
     "beyond it are dropped (a generator limit). Default max(connections, 1000)."), None),
    ("max_vus", _opt(int | None, "--max-vus", help="File: most iterations at once in a step; more are "
     "dropped (a generator limit). Default max(100, rate)."), None),
    ("base_url", _opt(_TEXT, "--base-url", "-u", help="File: where relative URLs go."), None),
    ("env", _opt(_LIST, "--env", "-e", help="File: KEY=VALUE given to scripts; repeatable."), None),
    ("sink", SinkOpt, None),
    ("drain_timeout", DrainTimeoutOpt, None),
    ("stuck_after", StuckAfterOpt, None),
    ("timeout", _opt(str, "--timeout", help="Give up on a request after this long (10s)."), "10s"),
    ("connect_timeout", _opt(str, "--connect-timeout", help="Give up on a connection attempt after this long "
     "(5s)."), "5s"),
    ("grace", _opt(str, "--grace", help="At a step's end, how long in-flight work may finish (2s)."), "2s"),
    ("insecure", _opt(bool, "--insecure", "-k", help="Skip TLS certificate verification."), False),
    ("probe", ProbeOpt, None),
    ("workers", WorkersOpt, None),
    ("reserve_cores", ReserveCoresOpt, None),
    ("json_out", _opt(_TEXT, "--json", metavar="PATH", help="Write the capacity document to this path ('-' "
     "for stdout)."), None),
    ("html", _opt(_TEXT, "--html", metavar="PATH", help="Write an HTML report: the latency/throughput curve "
     "and its knee."), None),
    ("no_history", NoHistoryOpt, False),
    ("store", StoreOpt, None),
    ("run_name", RunNameOpt, None),
    ("tag", TagOpt, None),
    ("secret", SecretOpt, None),
)  # fmt: skip
"""(parameter, typer type, default) in the order ``--help`` lists them."""


def capacity_options(command: Callable[..., int]) -> Callable[..., int]:
    """``command`` with :data:`OPTIONS` appended; its ``flags`` parameter receives their values."""
    own = inspect.signature(command, eval_str=True)
    params = [p for p in own.parameters.values() if p.name != "flags"]
    extra = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
        for name, kind, default in OPTIONS
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> int:
        flags = {name: kwargs.pop(name) for name, _, _ in OPTIONS}
        return command(**kwargs, flags=flags)

    wrapper.__signature__ = own.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in (*params, *extra)}
    wrapper.__annotations__["return"] = own.return_annotation
    return wrapper


def _given(flags: CapacityFlags, name: str) -> Any:
    """A flag's value: given on the command line, else the preset's, else the default."""
    # Identity, not equality: 0 == False, and --start-rate 0 must reach the check that refuses it.
    if flags.get(name) is not None and flags.get(name) is not False:
        return flags[name]
    preset = flags.get("preset")
    if preset is not None:
        return PRESETS[preset].get(name, DEFAULTS.get(name))
    return DEFAULTS.get(name)


def parse_precision(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise BadInput(f"--precision {text!r} is not a share: write it like 5% or 0.05") from None
    if not 0 < value < 1:
        raise BadInput(f"--precision {text!r} must be between 0 and 100 %")
    return value


def search_settings(flags: CapacityFlags) -> SearchSettings:
    preset = flags.get("preset")
    if preset is not None and preset not in PRESETS:
        raise BadInput(f"--preset {preset!r}: capacity presets are {', '.join(PRESETS)}")
    max_duration = _given(flags, "max_duration")
    vus = bool(_given(flags, "vus"))
    start = float(_given(flags, "start_rate"))
    max_rate = _given(flags, "max_rate")
    if vus and start != int(start):
        raise BadInput(f"--start-rate {start:g} with --vus must be a whole number of VUs")
    return SearchSettings(
        start=start,
        max_rate=float(max_rate) if max_rate is not None else None,
        growth=float(flags["growth"]),
        precision=parse_precision(flags["precision"]),
        step_duration_s=parse_duration(_given(flags, "step_duration"), "--step-duration"),
        max_duration_s=parse_duration(max_duration, "--max-duration") if max_duration else None,
        integer=vus,
    )


def _refuse(flags: CapacityFlags, names: tuple[str, ...], why: str) -> None:
    for name in names:
        if flags.get(name) is not None and flags.get(name) is not False:
            flag = "-c/--connections" if name == "connections" else f"--{name.replace('_', '-')}"
            raise BadInput(f"{flag} {why}")


def _refuse_with_vus(flags: CapacityFlags) -> None:
    """Flags an open-model step reads and a closed-model (--vus) step would silently ignore."""
    if _given(flags, "vus"):
        _refuse(
            flags,
            ("connections", "max_in_flight", "max_vus"),
            "does not apply with --vus: each step's VU count is its connections (URL) or VUs (file)",
        )


def url_target(url: str, flags: CapacityFlags) -> UrlTarget:
    _refuse(
        flags,
        ("max_vus", "base_url", "env", "sink", "drain_timeout", "stuck_after"),
        "is for a scenario file",
    )
    _refuse_with_vus(flags)
    connections = 50 if flags["connections"] is None else flags["connections"]
    positive(connections, "-c/--connections")
    positive(flags["max_in_flight"], "--max-in-flight")
    headers = [parse_header(h) for h in flags["header"] or []]
    payload, content_type = read_body(flags["body"], flags["json_body"])
    if content_type and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", content_type))
    verb = (flags["method"] or ("POST" if payload is not None else "GET")).upper()
    if verb not in METHODS:
        raise BadInput(f"unknown method {verb!r}: use one of {', '.join(METHODS)}")
    from loadpulse.protocols.http.url import parse_url

    parse_url(url)
    total_s = parse_duration(flags["timeout"], "--timeout")
    return UrlTarget(
        request=validated(RequestSpec, url=url, method=verb, headers=tuple(headers), body=payload),
        timeouts=validated(
            TimeoutSpec,
            connect_s=parse_duration(flags["connect_timeout"], "--connect-timeout"),
            read_s=total_s,
            total_s=total_s,
        ),
        insecure=flags["insecure"],
        grace_s=parse_duration(flags["grace"], "--grace"),
        connections=connections,
        max_in_flight=flags["max_in_flight"],
        workers=_workers(flags),
        reserve_cores=flags["reserve_cores"],
    )


def file_target(path: str, flags: CapacityFlags) -> FileTarget:
    _refuse(
        flags,
        ("method", "header", "body", "json_body", "max_in_flight", "connections"),
        "is for a URL target",
    )
    _refuse_with_vus(flags)
    options = make_options(
        thresholds=flags["slo"],  # the recorder keeps the names they point at apart, past its caps
        max_vus=flags["max_vus"],
        base_url=flags["base_url"],
        env=flags["env"],
        timeout=flags["timeout"],
        connect_timeout=flags["connect_timeout"],
        grace=flags["grace"],
        insecure=flags["insecure"],
        sink=flags["sink"],
        drain_timeout=flags["drain_timeout"],
        stuck_after=flags["stuck_after"],
    )
    return FileTarget(
        source=load_scenario(path),
        options=options,
        max_vus=flags["max_vus"],
        grace_s=options.grace_s,
        workers=_workers(flags),
        reserve_cores=flags["reserve_cores"],
    )


def _workers(flags: CapacityFlags) -> str | None:
    """``--workers`` once its count is checked (None: one process)."""
    count = worker_count(flags["workers"], flags["reserve_cores"])
    return flags["workers"] if count > 1 else None

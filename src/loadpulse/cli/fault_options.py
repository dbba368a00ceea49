"""``--fault JSON`` and ``--proxy NAME=LISTEN->UPSTREAM`` (run, http, demo): faults on the run's timeline,
added to a scenario file's own, and the service that fires them (chaos/fault_runner.py)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from loadpulse.errors import BadInput
from loadpulse.faults.proxy_spec import parse_proxy_arg
from loadpulse.faults.spec import FaultPlan, parse_fault, unique_names
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec
from loadpulse.thresholds.threshold import Threshold

if TYPE_CHECKING:
    from loadpulse.chaos.fault_runner import FaultRunner

FaultOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fault",
        help='A fault on the run\'s timeline, as JSON; repeatable. E.g. \'{"at": "30s", "for": "10s", '
        '"proxy": "db", "latency": "200ms"}\', \'{"at": "45s", "kill": "process:worker.py", '
        '"restart": "python worker.py"}\', \'{"at": "1m", "run": "docker restart db"}\' '
        "(docs/chaos.md). Each fault's recovery time is reported (recovery.max thresholds).",
        metavar="JSON",
    ),
]
ProxyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--proxy",
        help="A fault proxy started before the load, NAME=LISTEN->UPSTREAM "
        "(db=127.0.0.1:6390->127.0.0.1:6379): point the target at LISTEN; proxy faults name it. Repeatable.",
        metavar="NAME=LISTEN->UPSTREAM",
    ),
]

FaultHook = Callable[[str, str, str, float, str], None]


def command_line_faults(faults: Sequence[str], proxies: Sequence[str]) -> FaultPlan:
    """``--fault`` and ``--proxy`` as given, checked (one line, exit 2, for the first bad one)."""
    specs = []
    for i, text in enumerate(faults):
        where = f"--fault #{i + 1}"
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where} is not JSON: {exc.msg} at column {exc.colno} ({text!r})") from None
        specs.append(parse_fault(entry, where, i))
    parsed = {}
    for text in proxies:
        proxy = parse_proxy_arg(text)
        if proxy.name in parsed:
            raise BadInput(f"{proxy.where}: proxy {proxy.name!r} is given twice")
        parsed[proxy.name] = proxy
    return FaultPlan(unique_names(specs), parsed)


def fault_runner_for(
    description: RunSpec | Plan,
    faults: Sequence[str] | None,
    proxies: Sequence[str] | None,
    thresholds: Sequence[Threshold],
    on_fault: FaultHook | None = None,
) -> FaultRunner | None:
    """The run's fault runner (a file's faults and the command line's), its schedule checked; None for a
    run without faults or proxies."""
    chaos = description.chaos if isinstance(description, Plan) else FaultPlan()
    chaos = chaos.merged(command_line_faults(faults or (), proxies or ()))
    check_fault_filters(thresholds, [f.name for f in chaos.faults])
    if not chaos:
        return None
    from loadpulse.chaos.fault_runner import FaultRunner  # a run without faults never loads the chaos code

    if isinstance(description, Plan):
        planned_s: float | None = description.planned_s
        by = chaos.planned_by or f"the profiles of {description.source}"
    else:
        planned_s = description.load.effective_duration_s
        by = "-d/--duration"
    return FaultRunner(chaos, planned_s, thresholds, on_fault, by, description.interval_s)


def check_fault_filters(thresholds: Sequence[Threshold], names: Sequence[str]) -> None:
    """``recovery{fault=NAME}`` must name a fault of the run: the names are known before the load, and
    a typo would otherwise only show as "no data" at the end."""
    for t in thresholds:
        m = t.metric
        if m.source != "recovery" or m.filter is None or m.filter[1] in names:
            continue
        close = difflib.get_close_matches(m.filter[1], list(names), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(dict.fromkeys(names)) or "none"
        raise BadInput(
            f"threshold {t.expression!r}: no fault named {m.filter[1]!r}{hint}; the run's faults: {known}"
        )

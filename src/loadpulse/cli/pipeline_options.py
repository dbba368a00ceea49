"""The pipeline-check flags `run` and `http` share: ``--sink``, ``--drain-timeout``, ``--stuck-after``."""

from __future__ import annotations

from typing import Annotated

import typer

from loadpulse.units import parse_duration

SinkOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sink",
        help="Where tracked items show up (ctx.track() or track: in a scenario; {{ track }} or "
        "--track-from with `http`), checked for loss, duplicates and end-to-end latency: sql:URL#QUERY (a "
        ":since parameter polls incrementally), redis:URL#KEY, http:URL#$.path or webhook:PORT; repeatable.",
    ),
]
DrainTimeoutOpt = Annotated[
    str | None,
    typer.Option("--drain-timeout", help="After the load, how long to wait for tracked items (30s)."),
]
StuckAfterOpt = Annotated[
    str | None,
    typer.Option("--stuck-after", help="An item in a non-final status this long is stuck (60s)."),
]


def pipeline_durations(
    drain_timeout: str | None, stuck_after: str | None
) -> tuple[float | None, float | None]:
    """``--drain-timeout`` and ``--stuck-after`` in seconds: None where not given, BadInput if unreadable."""
    drain_s = (
        parse_duration(drain_timeout, "--drain-timeout", allow_zero=True)
        if drain_timeout is not None
        else None
    )
    stuck_s = parse_duration(stuck_after, "--stuck-after") if stuck_after is not None else None
    return drain_s, stuck_s

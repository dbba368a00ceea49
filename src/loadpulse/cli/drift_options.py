"""The drift flags `http`, `run` and `demo` share: --drift / --no-drift, --drift-min (docs/drift.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from loadpulse.metrics.drift import DEFAULT_MIN_S, DriftChoice, DriftMode
from loadpulse.units import parse_duration

DriftOpt = Annotated[
    bool | None,
    typer.Option(
        "--drift/--no-drift",
        help="Test the run's series (latency, errors, throughput, probes) for a trend over the run: by "
        f"default only runs of at least --drift-min ({DEFAULT_MIN_S:.0f}s); --drift tests a shorter one, "
        "--no-drift none.",
        show_default=False,
    ),
]
DriftMinOpt = Annotated[
    str | None,
    typer.Option(
        "--drift-min",
        help=f"Shortest run that is tested for drift by default (default {DEFAULT_MIN_S:.0f}s).",
        metavar="DURATION",
    ),
]


def drift_choice(flags: Mapping[str, Any]) -> DriftChoice:
    """What the flags ask for; a --drift-min that is not a duration is BadInput."""
    given = flags.get("drift")
    mode: DriftMode = "auto" if given is None else ("on" if given else "off")
    raw = flags.get("drift_min")
    min_s = DEFAULT_MIN_S if raw is None else parse_duration(raw, "--drift-min")
    return DriftChoice(mode, min_s)

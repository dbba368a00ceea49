"""Live observability flags shared by `http` and `run`: dashboard, Prometheus endpoint, their bind."""

from __future__ import annotations

from typing import Annotated

import typer

DEFAULT_DASHBOARD_PORT = 8089
DEFAULT_PROMETHEUS_PORT = 9464
MAX_PORT = 65535
OPTIONAL_VALUE_FLAGS = {
    "--dashboard": str(DEFAULT_DASHBOARD_PORT),
    "--prometheus": str(DEFAULT_PROMETHEUS_PORT),
}

DashboardOpt = Annotated[
    int | None,
    typer.Option(
        "--dashboard",
        help=f"Serve a live web dashboard while the run goes on (port {DEFAULT_DASHBOARD_PORT} "
        "unless --dashboard=PORT; 0 picks a free one).",
        show_default=False,
        min=0,
        max=MAX_PORT,
    ),
]
PrometheusOpt = Annotated[
    int | None,
    typer.Option(
        "--prometheus",
        help=f"Serve Prometheus metrics on /metrics (port {DEFAULT_PROMETHEUS_PORT} "
        "unless --prometheus=PORT; 0 picks a free one).",
        show_default=False,
        min=0,
        max=MAX_PORT,
    ),
]
BindOpt = Annotated[
    str,
    typer.Option(
        "--bind", help="Address the dashboard and Prometheus endpoint listen on (non-loopback needs a token)."
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--dashboard-token",
        help="Require this token (?token= or 'Authorization: Bearer') on every dashboard and "
        "/metrics request.",
        envvar="LOADPULSE_DASHBOARD_TOKEN",
    ),
]
LingerOpt = Annotated[
    str, typer.Option("--dashboard-linger", help="Keep serving the final summary this long after the run.")
]


def expand_optional_values(argv: list[str]) -> list[str]:
    """``--dashboard`` and ``--prometheus`` may stand alone: give them their default port then (typer has
    no optional option values)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg in OPTIONAL_VALUE_FLAGS:
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is None or not nxt.isdigit():
                out.append(OPTIONAL_VALUE_FLAGS[arg])
    return out

"""``--dashboard[=PORT]``: the live web dashboard as an output. It serves from the run's event loop, shows
every interval, and keeps the final summary on screen through ``--dashboard-linger``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from loadpulse.bounds import check_seconds
from loadpulse.errors import BadInput
from loadpulse.outputs.contract import Finished, Interval, Output, OutputParams, RunInfo
from loadpulse.units import parse_duration

if TYPE_CHECKING:
    from loadpulse.live.dashboard import Dashboard


class DashboardOutput(Output):
    live = True

    def __init__(
        self,
        port: int,
        host: str,
        token: str | None,
        linger_s: float,
        secrets: tuple[str, ...],
        announce: Console | None,
    ) -> None:
        self.port = port
        self.host = host
        self.token = token
        self.linger_s = linger_s
        self.secrets = secrets
        self.announce = announce
        self.dashboard: Dashboard | None = None

    def start(self, run: RunInfo) -> None:
        # starlette and uvicorn are imported only when the dashboard is asked for.
        from loadpulse.live.dashboard import Dashboard, DashboardState

        state = DashboardState(
            run.title, run.planned_s, self.secrets, planned_iterations=run.planned_iterations
        )
        self.dashboard = Dashboard(state, self.host, self.port, self.token, self.linger_s)
        self.services = [self.dashboard]
        if self.announce is not None:
            self.announce.print(f"dashboard: {self.dashboard.url}", highlight=False)

    def add(self, interval: Interval) -> str | None:
        if self.dashboard is not None:
            self.dashboard.state.update(interval.row, interval.aggregate, list(interval.verdicts))
        return None

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        if self.dashboard is not None:
            self.dashboard.state.on_fault(name, kind, phase, t_s, detail)

    def stop(self, finished: Finished) -> Sequence[str]:
        if self.dashboard is not None:
            self.dashboard.finish(finished.summary)
        return ()


def create(params: OutputParams) -> DashboardOutput | None:
    # The linger is checked even without --dashboard: a typo in a flag is bad input wherever it is.
    linger_s = parse_duration(params.flag("dashboard_linger", "0s"), "--dashboard-linger", allow_zero=True)
    try:
        check_seconds(linger_s, "--dashboard-linger")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    port = params.flag("dashboard")
    if params.run is None or port is None:
        return None
    return DashboardOutput(
        port,
        params.flag("bind_host", "127.0.0.1"),
        params.flag("dashboard_token"),
        linger_s,
        params.secrets,
        None if params.quiet else params.err,
    )

"""The live side of a run from the command line: dashboard and Prometheus services, fed every snapshot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

from loadpulse.engine.run import Service
from loadpulse.errors import BadInput
from loadpulse.live.state import LiveState
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.results.outcome import RunOutcome
from loadpulse.thresholds.verdict import ThresholdResult

if TYPE_CHECKING:
    from loadpulse.live.dashboard import Dashboard
    from loadpulse.live.service import AsgiService


class LiveOutputs:
    def __init__(
        self,
        title: str,
        planned_s: float | None,
        dashboard_port: int | None,
        prometheus_port: int | None,
        host: str,
        token: str | None,
        linger_s: float,
        secrets: tuple[str, ...] = (),
        planned_iterations: int | None = None,
    ) -> None:
        self.dashboard: Dashboard | None = None
        self.prometheus: AsgiService | None = None
        self.state = LiveState()
        # starlette, uvicorn and prometheus-client are imported only when asked for: a plain run stays lean.
        if prometheus_port is not None:
            from loadpulse.live.guard import guarded
            from loadpulse.live.prometheus import prometheus_app
            from loadpulse.live.service import AsgiService, bind, is_loopback

            if not is_loopback(host) and not token:
                raise BadInput(f"--bind {host} is not loopback: give --dashboard-token to protect /metrics")
            sock = bind(host, prometheus_port, "--prometheus")
            app = guarded(
                prometheus_app(self.state, secrets), token=token, bind_host=host, port=sock.getsockname()[1]
            )
            self.prometheus = AsgiService(app, sock)
        if dashboard_port is not None:
            from loadpulse.live.dashboard import Dashboard, DashboardState

            state = DashboardState(title, planned_s, secrets, planned_iterations=planned_iterations)
            self.dashboard = Dashboard(state, host, dashboard_port, token, linger_s)
        self.host = host

    @property
    def services(self) -> Sequence[Service]:
        return [s for s in (self.dashboard, self.prometheus) if s is not None]

    def announce(self, console: Console) -> None:
        if self.dashboard is not None:
            console.print(f"dashboard: {self.dashboard.url}", highlight=False)
        if self.prometheus is not None:
            host = f"[{self.host}]" if ":" in self.host else self.host
            console.print(f"prometheus: http://{host}:{self.prometheus.port}/metrics", highlight=False)

    def update(self, row: SeriesRow, agg: Aggregate, results: list[ThresholdResult]) -> None:
        self.state.aggregate = agg
        self.state.in_flight = row.in_flight
        self.state.thresholds = results
        if self.dashboard is not None:
            self.dashboard.state.update(row, agg, results)

    def finisher(self, summarize: Callable[[RunOutcome], dict[str, Any]]) -> Callable[[RunOutcome], None]:
        def finish(outcome: RunOutcome) -> None:
            summary = summarize(outcome)
            if self.dashboard is not None:
                self.dashboard.state.finish(summary)

        return finish

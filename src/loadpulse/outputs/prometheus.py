"""``--prometheus[=PORT]``: the Prometheus endpoint as an output. Every interval updates the state the
endpoint renders at scrape time (:mod:`loadpulse.live.prometheus`)."""

from __future__ import annotations

from rich.console import Console

from loadpulse.errors import BadInput
from loadpulse.live.guard import is_loopback
from loadpulse.live.state import LiveState
from loadpulse.outputs.contract import Interval, Output, OutputParams, RunInfo


class PrometheusOutput(Output):
    live = True

    def __init__(
        self, port: int, host: str, token: str | None, secrets: tuple[str, ...], announce: Console | None
    ) -> None:
        self.port = port
        self.host = host
        self.token = token
        self.secrets = secrets
        self.announce = announce
        self.state = LiveState()

    def start(self, run: RunInfo) -> None:
        # prometheus-client, starlette and uvicorn are imported only when the endpoint is asked for.
        from loadpulse.live.guard import guarded
        from loadpulse.live.prometheus import prometheus_app
        from loadpulse.live.service import AsgiService, bind

        sock = bind(self.host, self.port, "--prometheus")
        app = guarded(
            prometheus_app(self.state, self.secrets),
            token=self.token,
            bind_host=self.host,
            port=sock.getsockname()[1],
        )
        service = AsgiService(app, sock)
        self.services = [service]
        if self.announce is not None:
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.announce.print(f"prometheus: http://{host}:{service.port}/metrics", highlight=False)

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        self.state.faults.on_fault(name, kind, phase, t_s, detail)

    def add(self, interval: Interval) -> str | None:
        self.state.aggregate = interval.aggregate
        self.state.in_flight = interval.row.in_flight
        self.state.verdicts = list(interval.verdicts)
        self.state.faults.judged(interval.aggregate.faults)  # not measurable: no recovery sample
        return None


def create(params: OutputParams) -> PrometheusOutput | None:
    port = params.flag("prometheus")
    if params.run is None or port is None:
        return None
    host = params.flag("bind_host", "127.0.0.1")
    token = params.flag("dashboard_token")
    if not is_loopback(host) and not token:
        raise BadInput(f"--bind {host} is not loopback: give --dashboard-token to protect /metrics")
    return PrometheusOutput(port, host, token, params.secrets, None if params.quiet else params.err)

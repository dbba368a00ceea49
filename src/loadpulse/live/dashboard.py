"""The live web dashboard (``--dashboard[=PORT]``): one page updated every second over Server-Sent Events.

Routes: ``/`` the page (uPlot and its script inline: it works offline), ``/events`` the SSE stream (the whole
series so far on connect, then one update per snapshot, then a ``final`` event with the summary),
``/stop`` (POST) ends the run gracefully with Ctrl-C semantics (exit 130, summary written), ``/summary``.
Every request passes :mod:`loadpulse.live.guard` (token when set, Host, Origin); binding anything but
loopback requires a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from loadpulse.errors import BadInput
from loadpulse.live.guard import guarded, is_loopback
from loadpulse.live.pipeline_figures import pipeline_figures
from loadpulse.live.service import AsgiService, bind
from loadpulse.live.state import LiveFaults
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.redaction import redact_values
from loadpulse.results.format import bidi_safe
from loadpulse.thresholds.verdict import ThresholdResult

KEEPALIVE_S = 15.0
LINGER_POLL_S = 0.1
"""How often the linger looks for a stop signal: the watchdog's handler only counts it once the run is
over (the runner it would stop has finished), so the linger watches the count."""
MAX_NAMES = 30
"""Request names shown live (a scenario with hundreds of distinct URLs would flood the page)."""


def _static(package: str, name: str) -> str:
    return (resources.files(package) / "static" / name).read_text(encoding="utf-8")


class DashboardState:
    """What the page shows; the run updates it on every snapshot (same event loop, no locking)."""

    def __init__(
        self,
        title: str,
        planned_s: float | None,
        secrets: tuple[str, ...] = (),
        planned_iterations: int | None = None,
    ) -> None:
        self.title = title
        self.secrets = secrets
        # An iteration budget ends the run, not the clock: its planned_s is only the safety limit
        # (max_duration, 10 min by default), so the page shows the budget instead of "of 600 s".
        self.planned_iterations = planned_iterations
        self.planned_s = None if planned_iterations else planned_s
        self.rows: list[dict[str, Any]] = []
        self.totals: dict[str, Any] = {}
        self.thresholds: list[dict[str, Any]] = []
        self.status = "running"
        self.final: dict[str, Any] | None = None
        self.faults = LiveFaults()
        self._changed = asyncio.Event()

    def on_fault(self, name: str, kind: str, phase: str, t_s: float, detail: str = "") -> None:
        """A chaos fault started, ended or was recovered from: the page shades it on its charts at once."""
        self.faults.on_fault(name, kind, phase, t_s, detail)
        self._notify()

    def update(self, row: SeriesRow, agg: Aggregate, results: list[ThresholdResult]) -> None:
        t = agg.total
        lat = t.latency
        p50, p95, p99 = (v / 1000 for v in lat.percentiles((50.0, 95.0, 99.0)))
        pipeline = pipeline_figures(agg.pipeline)
        line = row.to_dict()
        if pipeline is not None:
            # Each row carries the pipeline's counts at its end: the page draws them over time.
            line.update(pipeline_sent=pipeline.sent, pipeline_delivered=pipeline.delivered,
                        pipeline_backlog=pipeline.backlog)  # fmt: skip
        self.rows.append(line)
        self.totals = {
            "elapsed_s": agg.elapsed_s,
            "requests": t.requests,
            "ok": t.ok,
            "failed": t.failed,
            "rate": agg.rate,
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "errors": dict(t.errors),
            "vus": agg.vus,
            "dropped": agg.dropped,
            "iterations": sum(s.iterations for s in agg.scenarios.values()),
            "probes": {k: p.last for k, p in agg.probes.items()},
            "pipeline": pipeline.to_dict() if pipeline is not None else None,
            "by_name": {
                name: {
                    "requests": st.requests,
                    "failed": st.failed,
                    "p95_ms": st.latency.percentile(95.0) / 1000 if st.latency.total else None,
                }
                for name, st in sorted(agg.names.items())[:MAX_NAMES]
            },
        }
        self.thresholds = [
            {"expression": r.threshold.expression, "verdict": r.verdict, "actual": r.actual_text}
            for r in results
        ]
        self.faults.judged(agg.faults)
        self._notify()

    def finish(self, summary: dict[str, Any]) -> None:
        self.status = "finished"
        self.final = summary
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def message(self, since: int) -> dict[str, Any]:
        msg = {
            "title": self.title,
            "status": self.status,
            "planned_s": self.planned_s,
            "planned_iterations": self.planned_iterations,
            "rows": self.rows[since:],
            "totals": self.totals,
            "thresholds": self.thresholds,
            "faults": self.faults.to_list(),
        }
        return redact_values(msg, self.secrets) if self.secrets else msg


class Dashboard:
    """The dashboard as a run service: started before the load, stopped (after the linger) at its end."""

    def __init__(
        self, state: DashboardState, host: str, port: int, token: str | None, linger_s: float
    ) -> None:
        if not is_loopback(host) and not token:
            raise BadInput(
                f"--bind {host} is not loopback: anyone on that network could stop the run; "
                "give --dashboard-token"
            )
        self.state = state
        self.token = token
        self.linger_s = linger_s
        self.host = host
        self._stop_run: Any = None
        self._watchdog: Any = None
        self._signals_at_finish: int | None = None
        sock = bind(host, port, "--dashboard")
        app = guarded(self.app(), token=token, bind_host=host, port=int(sock.getsockname()[1]))
        self.service = AsgiService(app, sock)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?token={self.token}" if self.token else ""
        return f"http://{host}:{self.service.port}/{query}"

    def app(self) -> Starlette:
        async def page(request: Request) -> Response:
            html = (
                _static("loadpulse.live", "dashboard.html")
                .replace("/*UPLOT_CSS*/", _static("loadpulse.outputs", "uPlot.min.css"))
                .replace("/*UPLOT_JS*/", _static("loadpulse.outputs", "uPlot.iife.min.js"))
                .replace("/*CHARTS_JS*/", _static("loadpulse.outputs", "charts.js"))
                .replace("/*DASHBOARD_JS*/", _static("loadpulse.live", "dashboard.js"))
            )
            return HTMLResponse(html, headers={"Cache-Control": "no-store"})

        async def events(request: Request) -> Response:
            return StreamingResponse(self._stream(request), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-store"})  # fmt: skip

        async def stop(request: Request) -> Response:
            if self._stop_run is not None and self.state.status == "running":
                self.state.status = "stopping"
                self._stop_run("interrupted")
            return JSONResponse({"status": self.state.status})

        async def summary(request: Request) -> Response:
            return JSONResponse(bidi_safe(self.state.final or self.state.message(0)))

        return Starlette(
            routes=[
                Route("/", page),
                Route("/events", events),
                Route("/stop", stop, methods=["POST"]),
                Route("/summary", summary),
            ]
        )

    async def _stream(self, request: Request) -> AsyncIterator[str]:
        sent = 0
        while True:
            msg = self.state.message(sent)
            sent = len(self.state.rows)
            # Names come from the scenario and the system under test: a bidi override must not turn one
            # around on the page (the page escapes everything else by using textContent).
            yield f"data: {json.dumps(bidi_safe(msg))}\n\n"
            if self.state.final is not None:
                yield f"event: final\ndata: {json.dumps(bidi_safe(self.state.final))}\n\n"
                return
            await self.state.changed(KEEPALIVE_S)
            if await request.is_disconnected():
                return

    async def start(self, runner: Any) -> None:
        self._stop_run = runner.request_stop
        self._watchdog = getattr(runner, "watchdog", None)
        await self.service.start()

    def finish(self, summary: dict[str, Any]) -> None:
        """The run is over: show its summary. A signal from now on ends the linger; counting from here
        (not from the linger's first line) keeps one that lands in between from being missed."""
        self._signals_at_finish = self._signals()
        self.state.finish(summary)

    async def stop(self) -> None:
        await self.linger()
        await self.service.stop()

    def _signals(self) -> int:
        return int(getattr(self._watchdog, "signals", 0))

    async def linger(self) -> None:
        """Keep the final summary served for ``linger_s``; Ctrl-C, SIGTERM or SIGHUP ends it at once.

        The run is over by then, so a signal changes nothing of its outcome or exit code: it only stops
        the waiting. Without the run's signal handling (a library caller), KeyboardInterrupt ends the
        sleep as it ends anything else."""
        if self.linger_s <= 0:
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + self.linger_s
        seen = self._signals() if self._signals_at_finish is None else self._signals_at_finish
        while (left := end - loop.time()) > 0 and self._signals() == seen:
            await asyncio.sleep(min(LINGER_POLL_S, left))

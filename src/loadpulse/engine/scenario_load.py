"""A scenario plan as a load the Runner drives: setup, one executor per scenario, teardown.

Setup and teardown run outside the measured window with their own recorder, so their requests never
reach the results; what ``setup`` returns is handed to every VU as ``ctx.data``.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.arrivals import Arrivals
from loadpulse.engine.executor import Executor, script_error_key
from loadpulse.engine.vu_pool import VuPool
from loadpulse.engine.watchdog import LoopWatchdog, RunInterrupted
from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.pipeline.tracking import Tracker
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.sessions import Sessions
from loadpulse.scenario.ctx import Ctx, SetupCtx, Vu
from loadpulse.scenario.feed import FeedExhausted
from loadpulse.scenario.model import Plan, ScenarioDef


class ScenarioLoad:
    def __init__(
        self, plan: Plan, recorder: Recorder, clock: Clock = REAL_CLOCK, tracker: Tracker | None = None
    ) -> None:
        self.plan = plan
        self.tracker = tracker
        """Where ``ctx.track`` records what was sent (None: the run checks no pipeline)."""
        self.clock = clock
        self.recorder = recorder
        self.co_corrected = all(s.profile.family == "open" for s in plan.scenarios)
        self.warnings: list[str] = []
        self.sessions = self._sessions(recorder)
        self.data: Any = None
        self.executors: list[Executor] = []
        self.bad_input: BadInput | None = None
        """The first bad input a task ran into: the run stops at once and ends with it (exit 2)."""
        next_id = 1
        for sc in plan.scenarios:
            cls = Arrivals if sc.profile.family == "open" else VuPool
            executor = cls(sc, recorder, self._ctx_factory(sc), plan.source, next_id, clock)
            executor.on_bad_input = self._on_bad_input
            self.executors.append(executor)
            next_id += sc.profile.peak_vus
        self._finished: asyncio.Future[None] | None = None
        self._runs: list[asyncio.Task[None]] = []
        self._torn_down = False

    def _sessions(self, recorder: Recorder) -> Sessions:
        """The protocol sessions VUs open as they use them; protocol warnings (e.g. why TLS failed) are
        said with the run's."""
        p = self.plan
        settings = SessionSettings(
            base_url=p.base_url,
            headers=p.headers,
            connect_timeout_s=p.connect_timeout_s,
            timeout_s=p.timeout_s,
            insecure=p.insecure,
            http2=p.http2,
            warnings=self.warnings,
            clock=self.clock,
        )
        return Sessions(settings, recorder)

    def _ctx_factory(self, sc: ScenarioDef) -> Any:
        def new_ctx(vu: Vu) -> Ctx:
            return Ctx(
                self.sessions, vu, sc.name, self.recorder.metrics, self.data, self.plan.env, self.tracker
            )

        return new_ctx

    def attach(self, watchdog: LoopWatchdog) -> None:
        """Executors yield to the loop when it has not turned for a while (tasks that never await)."""
        for e in self.executors:
            e.watchdog = watchdog

    # Load interface (see engine.run.Load) -------------------------------------------------------------
    @property
    def abandoned(self) -> int:
        return sum(e.interrupted for e in self.executors)

    async def prepare(self) -> None:
        await self.sessions.prepare()
        if self.plan.setup is not None:
            self.data = await self._call_hook(self.plan.setup, "setup")
        await asyncio.gather(*(e.prepare() for e in self.executors))

    def start(self, t0_ns: int) -> None:
        loop = asyncio.get_running_loop()
        self._finished = loop.create_future()
        self.sessions.start()
        self._runs = [asyncio.ensure_future(e.run(t0_ns)) for e in self.executors]
        gathered = asyncio.gather(*self._runs, return_exceptions=True)
        gathered.add_done_callback(lambda _: self._finish())

    def _on_bad_input(self, exc: BadInput) -> None:
        if self.bad_input is None:
            self.bad_input = exc
        self.stop()
        self._finish()  # the Runner stops waiting for the load, and drains it with no grace

    def _finish(self) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(None)

    @property
    def finished(self) -> asyncio.Future[None]:
        assert self._finished is not None, "start() first"
        return self._finished

    def stop(self) -> None:
        for e in self.executors:
            e.stop()

    @property
    def past_load(self) -> bool:
        """Every scenario's load is over and only iterations finishing within their graceful stop are left:
        a stop asked for now is a no to that wait."""
        return all(e.winding_down for e in self.executors)

    def in_flight(self) -> int:
        return self.sessions.in_flight()

    def connection_count(self) -> int:
        return self.sessions.connection_count()

    def vus(self) -> int:
        return sum(e.running for e in self.executors)

    async def drain(self, grace_s: float) -> None:
        await asyncio.gather(*(e.wind_down(grace_s) for e in self.executors))
        self.warnings.extend(e.stopped_by for e in self.executors if e.stopped_by not in ("", *self.warnings))
        for run in self._runs:
            run.cancel()
        self.sessions.close()
        self._finish()
        if self.plan.teardown is not None and not self._torn_down:
            # Once only: a forced stop cancels this drain and drains again with no grace.
            self._torn_down = True
            try:
                await self._call_hook(self.plan.teardown, "teardown", self.data)
            except BadInput as exc:
                self.warnings.append(str(exc))
            except RunInterrupted:
                self.warnings.append(
                    "teardown() was interrupted: it blocked past the run's deadline or a signal"
                )

    async def _call_hook(self, fn: Any, hook: str, *extra: Any) -> Any:
        """Run setup/teardown (sync or async) with clients whose requests are not recorded."""
        sessions = self._sessions(Recorder())
        sessions.start()
        ctx = SetupCtx(sessions, self.plan.env)
        try:
            result = fn(ctx, *extra)
            if inspect.isawaitable(result):
                result = await result
            return result
        except (Exception, SystemExit, KeyboardInterrupt, GeneratorExit, FeedExhausted) as exc:
            # exit() in setup() must not end loadpulse itself with the script's exit code and no summary.
            key = script_error_key(exc, self.plan.source)
            key = key.replace(" at ", " at " + _folder(self.plan.source))
            raise BadInput(f"{hook}() failed: {key}: {exc}") from None
        finally:
            sessions.close()


def _folder(source: str) -> str:
    """The scenario path's folder prefix, so 'at file.py:3' reads 'at path/to/file.py:3'."""
    head, sep, _ = source.rpartition("/")
    return head + sep

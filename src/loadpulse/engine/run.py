"""The Runner: one run in the current event loop, with its watchdog; it cuts snapshots on a fixed clock,
races set-up against a stop, and stops gracefully (built and started by :mod:`loadpulse.engine.execute`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Protocol

from loadpulse.engine.watchdog import STALL_S, LoopWatchdog, RunInterrupted
from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.results.outcome import RunOutcome
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec

if TYPE_CHECKING:
    from loadpulse.engine.pipeline_check import PipelineCheck

DEADLINE_MARGIN_S = 5.0
SWITCH_INTERVAL_S = 0.001
"""How far past duration + grace the watchdog lets a run go before it stops it by force."""

SnapshotListener = Callable[[Snapshot, SeriesRow, Aggregate], str | None]
"""Called on every snapshot; returning a message aborts the run (ended_by 'aborted', e.g. a threshold)."""


class Service(Protocol):
    """Something that lives for the run inside its event loop (dashboard, Prometheus endpoint)."""

    async def start(self, runner: Runner) -> None: ...
    async def stop(self) -> None: ...


class Load(Protocol):
    """What the Runner drives: the one-liner's LoadDriver or a scenario plan's ScenarioLoad."""

    co_corrected: bool

    @property
    def abandoned(self) -> int: ...
    @property
    def finished(self) -> asyncio.Future[None]: ...
    async def prepare(self) -> None: ...
    def start(self, t0_ns: int) -> None: ...
    def stop(self) -> None: ...
    def in_flight(self) -> int: ...
    def connection_count(self) -> int: ...
    async def drain(self, grace_s: float) -> None: ...


class Runner:
    """One run in the current event loop. :meth:`request_stop` may be called from any callback."""

    def __init__(
        self,
        load: Load,
        recorder: Recorder,
        *,
        duration_s: float | None,
        grace_s: float,
        interval_s: float = 1.0,
        listener: SnapshotListener | None = None,
        finished_reason: str = "requests",
        sampler: ProbeSampler | None = None,
        services: Sequence[Service] = (),
        on_outcome: Callable[[RunOutcome], None] | None = None,
        planned_end_s: float | None = None,
        stall_end_s: float | None = None,
        setup_timeout_s: float | None = None,
        handle_signals: bool = False,
        pipeline: PipelineCheck | None = None,
        on_drain: Callable[[Aggregate, float], None] | None = None,
    ) -> None:
        self.finished_reason = finished_reason
        self.pipeline = pipeline
        """Sinks polled alongside the load and drained after it (scenario runs with ``ctx.track``)."""
        self.spec: RunSpec | None = None
        self.plan: Plan | None = None
        self.services = list(services)
        self.on_outcome = on_outcome
        """Called with the outcome while services still run (the dashboard's final summary)."""
        self.on_drain = on_drain
        """Every interval while the pipeline drains: the aggregate (pipeline refreshed), seconds waited."""
        self.listener = listener
        self.abort_reason: str | None = None
        self._final = False
        self.recorder = recorder
        self.aggregate = Aggregate()
        self.driver = load
        self.duration_s = duration_s
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.planned_end_s = planned_end_s if planned_end_s is not None else duration_s
        """When the load should be over at the latest (before grace): the watchdog's deadline."""
        self.stall_end_s = stall_end_s
        """When the load is planned to end, graceful stops not included: past it (+ grace + margin) a
        stuck loop is interrupted."""
        self.setup_timeout_s = setup_timeout_s
        self.sampler = sampler
        """Probes sampled once per interval alongside the load, off the event loop."""
        self.watchdog = LoopWatchdog(self._on_watchdog, handle_signals)
        self.warnings: list[str] = []
        self.start_gate: Callable[[], Awaitable[int | None]] | None = None
        """A worker process's: awaited once set-up is done; returns when the load starts (perf_counter_ns,
        a clock every process of the machine shares) or None when told to stop instead."""
        self.pace: Callable[[int, int], Awaitable[None]] | None = None
        """A coordinator's: awaited before cut ``k`` (t0, k) instead of sleeping until t0 + k intervals,
        so it can wait for its workers' k-th snapshots."""
        self.ready_hooks: list[Callable[[], Awaitable[None]]] = []
        """Awaited once set-up is done, before the load's clock starts: a service's checks of what
        ``setup()`` started (the chaos faults' kill targets); BadInput there is bad input (exit 2)."""
        self.start_hooks: list[Callable[[int], None]] = []
        """Called with t0 (perf_counter_ns) as the load starts: a service that acts on the load's clock
        (the chaos faults) starts its own clock there."""
        self.cut_hooks: list[Callable[[SeriesRow, Aggregate, bool], None]] = []
        """Called on every cut once the aggregate took it, before the listener (so thresholds see what
        they add): (the interval's row, the aggregate, whether it is the final cut)."""
        self._stop: asyncio.Event | None = None
        self._force: asyncio.Event | None = None
        self._stop_reason = "stopped"
        self.overran = False
        self._t0 = 0
        self._load_end_ns = 0
        self._started_at: datetime | None = None

    def request_stop(self, reason: str = "stopped") -> None:
        """First call: stop sending and let in-flight requests finish within the grace period.
        Second call: give up on in-flight requests at once."""
        if self._stop is None or self._force is None:
            return
        if self._stop.is_set():
            self._force.set()
            return
        self._stop_reason = reason
        self._stop.set()

    def _on_watchdog(self, reason: str) -> None:
        if reason == "overrun":
            self.overran = True
            self.warnings.append(
                f"the run did not end by its deadline (duration + grace + {DEADLINE_MARGIN_S:g} s, or its "
                "graceful stops while the event loop ran): it was stopped by force, in-flight work abandoned"
            )
            self.request_stop("duration")
            self.request_stop("duration")  # the second call forces: the grace period is long gone
        elif reason == "setup_timeout":
            self.request_stop("interrupted")
        else:
            self.request_stop(reason)

    def _cut(self, t0: int) -> None:
        d = self.driver
        # After the load, the clock stops at its end: the drain of a pipeline and the final probe sample
        # are not load time, and counting them would understate every rate (requests/s, iterations/s).
        now = self._load_end_ns or perf_counter_ns()
        snap = self.recorder.cut(now - t0, d.in_flight(), d.connection_count(), self.watchdog.take_lags())
        row = self.aggregate.add(snap)
        if self.pipeline is not None:
            self.aggregate.pipeline = self.pipeline.latest
        if self.sampler is not None:
            self.aggregate.probe_groups = self.sampler.groups
        for hook in self.cut_hooks:
            hook(row, self.aggregate, self._final)
        if self.listener is not None:
            reason = self.listener(snap, row, self.aggregate)
            if reason is not None and self.abort_reason is None and not self._final:
                self.abort_reason = reason
                self.request_stop("aborted")

    async def _ticker(self, t0: int) -> None:
        interval_ns = int(self.interval_s * 1e9)
        k = 1
        while True:
            # Ticks are timed from the start so the series never drifts, however late one tick ran.
            if self.pace is not None:
                await self.pace(t0, k)
            else:
                await asyncio.sleep(max(0, t0 + k * interval_ns - perf_counter_ns()) / 1e9)
            self._cut(t0)
            k += 1

    async def run(self) -> RunOutcome:
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self.watchdog.start(asyncio.get_running_loop())
        # Sink polls, probes and ctx.call run Python in threads beside the event loop. With the default 5 ms
        # switch interval each of their bursts holds the loop that long (the demo's loop-lag p99 was 17-22
        # ms, GENERATOR-LIMITED, with a sink polled); 1 ms keeps the loop's share (p99 ~6 ms, and more
        # requests/s). With no other thread wanting the interpreter, it changes nothing.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH_INTERVAL_S))
        try:
            for service in self.services:
                await service.start(self)
            try:
                outcome = await self._run(self.driver)
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
                return outcome
            finally:
                for service in self.services:
                    await service.stop()
                if self.pipeline is not None:
                    self.pipeline.close()
        finally:
            self.watchdog.close()
            sys.setswitchinterval(switch)
            # What _run froze (the set-up's objects) would otherwise never be collected: a process that
            # runs several loads (a plan, a capacity search's steps) kept every finished run's VUs and
            # clients, about 1 MB a run.
            gc.unfreeze()

    async def _prepared(self, driver: Load) -> bool:
        """Set-up (connections, the scenario's ``setup()``), cancelled by a stop: False when stopped."""
        assert self._stop is not None
        if self.setup_timeout_s is not None:
            self.watchdog.arm(perf_counter_ns() + int(self.setup_timeout_s * 1e9), "setup_timeout")
        prepare = asyncio.ensure_future(driver.prepare())
        stop_wait = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({prepare, stop_wait}, return_when="FIRST_COMPLETED")
        except RunInterrupted:
            prepare.cancel()
        finally:
            stop_wait.cancel()
        self.watchdog.arm(0, "overrun")
        # A scenario's setup() may have replaced or ignored our signal handlers: take them back.
        self.watchdog.install_signals()
        if not prepare.done():
            prepare.cancel()
            with contextlib.suppress(asyncio.CancelledError, RunInterrupted, Exception):
                await prepare
            self._check_setup_time()
            return False
        exc = prepare.exception()  # retrieved first: a setup that timed out still must not log it later
        self._check_setup_time()
        if isinstance(exc, RunInterrupted):
            self._stop_reason = "interrupted"
            return False
        if exc is not None:
            raise exc
        return not self._stop.is_set()

    def _check_setup_time(self) -> None:
        if self.watchdog.fired == "setup_timeout":
            raise BadInput(
                f"setup() did not finish within {self.setup_timeout_s:g} s (set setup_timeout in the "
                "scenario file for a longer one); the load was not started"
            )

    async def _run(self, driver: Load) -> RunOutcome:
        assert self._stop is not None and self._force is not None
        self._started_at = datetime.now(UTC)
        if not await self._prepared(driver):
            # Interrupted during set-up: the load never starts (no requests were measured).
            self._t0 = perf_counter_ns()
            return self._outcome("interrupted" if self._stop_reason == "stopped" else self._stop_reason)
        for ready in self.ready_hooks:
            await ready()
        # Everything set up so far (VUs, connections, imports) lives for the whole run: collect once and
        # freeze it, so the cyclic GC never rescans it in a pause that would delay scheduled arrivals.
        gc.collect()
        gc.freeze()
        self._started_at = datetime.now(UTC)
        t0 = self._t0 = perf_counter_ns()
        if self.start_gate is not None:
            start = await self.start_gate()
            if start is None:
                return self._outcome("interrupted" if self._stop_reason == "stopped" else self._stop_reason)
            t0 = self._t0 = start
        if self.planned_end_s is not None:
            # A loop stuck past duration + grace (+ margin) is interrupted; a live one gets its graceful stops
            # (planned_end_s includes them) before the run is stopped by force.
            stall_end_s = self.stall_end_s or self.planned_end_s
            # Waiting for a pipeline's last items is part of the run's time (duration + grace + drain).
            drain_s = self.pipeline.longest_drain_s if self.pipeline is not None else 0.0
            self.watchdog.arm(
                t0 + int((self.planned_end_s + self.grace_s + drain_s + DEADLINE_MARGIN_S) * 1e9),
                "overrun",
                t0 + int((stall_end_s + self.grace_s + STALL_S) * 1e9),
            )
        if self.pipeline is not None:
            self.pipeline.reconciler.load_started(t0)  # its timeline shares the series' time axis
        for start_hook in self.start_hooks:
            start_hook(t0)
        driver.start(t0)
        ticker = asyncio.ensure_future(self._ticker(t0))
        probing = (
            asyncio.ensure_future(self.sampler.run(self.interval_s, self.recorder.probes.update))
            if self.sampler is not None
            else None
        )
        polling = (
            asyncio.ensure_future(self.pipeline.run(self.interval_s)) if self.pipeline is not None else None
        )
        stop_wait = asyncio.ensure_future(self._stop.wait())
        duration = self.duration_s
        waiting: set[asyncio.Future[object]] = {driver.finished, stop_wait}  # type: ignore[arg-type]
        done, _ = await asyncio.wait(waiting, timeout=duration, return_when="FIRST_COMPLETED")
        if driver.finished in done:
            ended_by = self.finished_reason
        elif stop_wait in done:
            ended_by = self._stop_reason
        else:
            ended_by = "duration"
        # A stop that came when the load was already over (a scenario's executors waiting out their graceful
        # stop) is a no to that wait: no grace after it either.
        declined = stop_wait in done and bool(getattr(driver, "past_load", False))
        driver.stop()
        # Bad input in a task (see Executor.iteration): nothing more is worth measuring, so no grace.
        grace_s = 0.0 if _bad_input(driver) is not None or declined else self.grace_s
        drain = asyncio.ensure_future(driver.drain(grace_s))
        force = asyncio.ensure_future(self._force.wait())
        # A stop asked for during the grace period (the load ended by itself) cuts it short, as a second
        # one does after a stop: waiting on for in-flight requests is what the user just said no to.
        stopped_before = stop_wait.done()
        cut_by: set[asyncio.Future[Any]] = {drain, force} if stopped_before else {drain, force, stop_wait}
        await asyncio.wait(cut_by, return_when="FIRST_COMPLETED")
        if not drain.done():
            drain.cancel()
            await driver.drain(0)
        if not stopped_before and self._stop.is_set():
            ended_by = self._stop_reason  # the load was done; the user stopped the wait for it
        force.cancel()
        stop_wait.cancel()
        ticker.cancel()
        if probing is not None:
            probing.cancel()
        if polling is not None:
            polling.cancel()
        self._load_end_ns = perf_counter_ns()
        bad_input = _bad_input(driver)
        if bad_input is not None:
            raise bad_input  # exit 2, no outcome: nothing was run worth a report or a history row
        if self.pipeline is not None:
            # The run is over for the load, not for the items it sent: wait for them (bounded), telling
            # the live outputs how the backlog goes (a line frozen at 100 % for 30 s reads as a hang).
            showing = asyncio.ensure_future(self._show_drain()) if self.on_drain is not None else None
            stopped_before = self._stop.is_set()
            try:
                # A stop (Ctrl-C, SIGTERM, an abort) ends the wait: what was not seen is then unverified.
                await self.pipeline.drain(self._stop)
            finally:
                if showing is not None:
                    showing.cancel()
            if not stopped_before and self._stop.is_set():
                ended_by = self._stop_reason  # the load was done; the user stopped the wait for it
        if self.sampler is not None:
            # One sample after the load, so a probe's last value is the target's state at the end (a
            # queue's backlog), not up to an interval before it. Bounded; a slow probe leaves a gap.
            self.recorder.probes.update(await self.sampler.final_sample())
        return self._outcome(ended_by)

    async def _show_drain(self) -> None:
        assert self.pipeline is not None and self.on_drain is not None
        start = perf_counter_ns()
        while True:
            await asyncio.sleep(self.interval_s)
            self.aggregate.pipeline = self.pipeline.latest
            self.on_drain(self.aggregate, (perf_counter_ns() - start) / 1e9)

    def _outcome(self, ended_by: str) -> RunOutcome:
        """The final cut and the outcome record (also what an interrupted run salvages)."""
        self._final = True
        self._cut(self._t0 or perf_counter_ns())
        driver = self.driver
        return RunOutcome(
            spec=self.spec,
            plan=self.plan,
            aggregate=self.aggregate,
            started_at=self._started_at or datetime.now(UTC),
            ended_by=ended_by,
            abandoned=driver.abandoned,
            co_corrected=driver.co_corrected,
            planned_s=self.plan.planned_s if self.plan is not None else self.duration_s,
            warnings=[
                *self.warnings,
                *getattr(driver, "warnings", []),
                *(self.sampler.warnings if self.sampler else []),
                *(self.pipeline.warnings if self.pipeline else []),
                *self.aggregate.warnings(),
            ],
            abort_reason=self.abort_reason,
            overran=self.overran,
        )

    def salvage(self) -> RunOutcome:
        """The outcome of a run whose loop was broken out of (an interrupt raised past every handler)."""
        return self._outcome("interrupted")


def _bad_input(load: Load) -> BadInput | None:
    """The bad input a task ran into, which ends the run (a scenario's load, a worker fleet's)."""
    found = getattr(load, "bad_input", None)
    return found if isinstance(found, BadInput) else None

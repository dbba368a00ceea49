"""The coordinator's load in a ``--workers`` run: N worker processes (or Ray actors), started together,
paced, stopped, and watched for loss.

Every interval the coordinator waits (at most half an interval) for each running worker's snapshot. A
worker whose process ends before its run does is lost at once; one that sends nothing for
:data:`SILENT_INTERVALS` intervals is killed and lost then. Either way a warning names it with its share of
the load, and the run goes on without it or (``abort_on_loss``, or no worker left) is aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from functools import partial
from time import perf_counter_ns
from typing import Any

from loadpulse.engine.fleet_findings import (
    CountedWarnings,
    FeedsRunOut,
    deviation_pct,
    scenario_imbalance_pct,
)
from loadpulse.engine.fleet_parts import FleetParts
from loadpulse.engine.run import Runner
from loadpulse.engine.spec_part import SpecRef
from loadpulse.engine.worker_handle import WorkerHandle
from loadpulse.engine.worker_launch import Launcher, LocalLauncher
from loadpulse.errors import BadInput
from loadpulse.metrics.interval_merge import Gauges
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_ref import PlanRef
from loadpulse.spec import RunSpec

SILENT_INTERVALS = 2
"""A running worker that sends nothing for this many intervals is lost."""
START_LEAD_S = 0.1
"""Every worker is told to start this far ahead, so all of them start at the same instant."""
DRAIN_MARGIN_S = 5.0
"""How long past the grace period the coordinator waits for a stopping worker before killing it."""
SATURATED_CPU_PCT = 90.0


class WorkerFleet:
    """The coordinator's load: N worker processes, each running its part of the plan."""

    def __init__(
        self,
        ref: PlanRef | SpecRef,
        plan: Plan | RunSpec,
        count: int,
        *,
        abort_on_loss: bool = False,
        warn: Callable[[str], None] | None = None,
        launcher: Launcher | None = None,
    ) -> None:
        self.ref = ref
        self.launcher: Launcher = launcher or LocalLauncher()
        self.plan = plan
        self.count = count
        self.interval_ns = int(plan.interval_s * 1e9)
        self.abort_on_loss = abort_on_loss
        self.warn = warn
        self.co_corrected = (
            all(s.profile.family == "open" for s in plan.scenarios)
            if isinstance(plan, Plan)
            else plan.load.open_model
        )
        self._said: list[str] = []
        """Warnings in the order they came (see :attr:`warnings`)."""
        self._feeds_out = FeedsRunOut(count)
        self._counted = CountedWarnings()
        self.parts = FleetParts(plan)
        self.workers: list[WorkerHandle] = []
        self.runner: Runner | None = None
        self._t0 = 0
        self._started = False
        self._finished: asyncio.Future[None] | None = None
        self._changed: asyncio.Event | None = None
        self._aborting = False
        self._snap_end: dict[int, int] = {}
        """When each worker's last snapshot ends (its numbers up to there are counted)."""
        self._tracked: dict[int, int] = {}
        """Items each worker tracked (ctx.track) and shipped, by its index."""
        self.on_lost: Callable[[], None] | None = None
        """Told when a worker is lost (the coordinator's pipeline check: its unshipped items are unknown)."""
        self.on_tracked: Callable[[Any], None] | None = None
        """Where a worker's ``("track", delta)`` goes: the coordinator's pipeline check."""
        self.bad_input: BadInput | None = None
        """A worker's task ran into bad input: every worker is stopped at once, and the run ends with it."""

    def attach(self, runner: Runner) -> None:
        self.runner = runner
        runner.start_gate = self.gate
        runner.pace = self.pace

    # --- the Load protocol -------------------------------------------------------------------------

    @property
    def abandoned(self) -> int:
        return sum(int(w.done["abandoned"]) for w in self.workers if w.done)

    @property
    def finished(self) -> asyncio.Future[None]:
        assert self._finished is not None, "prepare() first"
        return self._finished

    async def prepare(self) -> None:
        """Start every worker and wait until each has set itself up (BadInput when one cannot)."""
        loop = asyncio.get_running_loop()
        self._finished = loop.create_future()
        self._changed = asyncio.Event()
        parts = [self.ref.for_worker(i, self.count) for i in range(self.count)]
        launched = await self.launcher.launch([self.parts.part_dict(part) for part in parts])
        for i, ((body, conn), part) in enumerate(zip(launched, parts, strict=True)):
            worker = WorkerHandle(i + 1, self.parts.share_of(part), body, conn)
            self.workers.append(worker)
            # One reading thread per worker, the pipe left blocking: an event-loop reader would make it
            # non-blocking, and a message read half-way would then be lost (and the rest misread).
            worker.reader = threading.Thread(
                target=worker.listen, args=(loop, self._on_message), name=f"worker-{i + 1}", daemon=True
            )
            worker.reader.start()
            body.watch(loop, partial(self._on_exit, worker))
        while True:
            failed = next((w for w in self.workers if w.error is not None), None)
            if failed is not None:
                raise BadInput(f"worker {failed.index} of {self.count} could not start: {failed.error}")
            if all(w.state == "ready" for w in self.workers):
                return
            self._changed.clear()
            await self._changed.wait()

    async def gate(self) -> int | None:
        """The coordinator's start: every worker told to start at the same instant, t0."""
        t0 = self._t0 = perf_counter_ns() + int(START_LEAD_S * 1e9)
        for w in self.workers:
            if w.state == "ready":
                w.state = "running"
                w.last_heard_ns = t0
                w.send(("go", t0))
        self._started = True
        await asyncio.sleep(max(0, t0 - perf_counter_ns()) / 1e9)
        self._check_finished()
        return t0

    def start(self, t0_ns: int) -> None:
        """Nothing left to do: :meth:`gate` told the workers when to start."""

    def stop(self) -> None:
        for w in self.workers:
            if w.state in ("ready", "running"):
                w.send(("stop",))

    def in_flight(self) -> int:
        return sum(w.gauges.in_flight for w in self.workers)

    def connection_count(self) -> int:
        return sum(w.gauges.connections for w in self.workers)

    async def drain(self, grace_s: float) -> None:
        """Wait for every worker's last snapshot and outcome; past grace (+ margin) kill the stragglers.
        ``grace_s`` 0: the run is being stopped by force, so are the workers."""
        if grace_s == 0:
            self.stop()  # a second stop: the worker gives up on its in-flight work at once
        assert self._changed is not None
        deadline = perf_counter_ns() + int((grace_s + DRAIN_MARGIN_S if grace_s else 1.0) * 1e9)
        while not self._settled and (left := deadline - perf_counter_ns()) > 0:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left / 1e9)
        for w in self.workers:
            if w.state in ("starting", "ready", "running"):
                if self.bad_input is not None:
                    w.state = "done"  # the run ends as bad input: a straggler's numbers are not wanted
                    w.process.kill()
                else:
                    self._lose(w, "it did not stop within the grace period and was killed")

    # --- pacing and merging ------------------------------------------------------------------------

    async def pace(self, t0: int, k: int) -> None:
        """Before cut ``k``: its time, then until every running worker's k-th snapshot is in, at most half
        an interval more (a late one joins the next cut: the totals stay exact)."""
        assert self._changed is not None
        due = t0 + k * self.interval_ns
        await asyncio.sleep(max(0, due - perf_counter_ns()) / 1e9)
        deadline = due + self.interval_ns // 2
        while True:
            now = perf_counter_ns()
            self._check_silence(now)
            if all(w.snaps >= k for w in self.workers if w.state == "running") or now >= deadline:
                return
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), (deadline - now) / 1e9)

    def take(self) -> list[Snapshot]:
        """Every snapshot received since the last call, worker by worker."""
        out = [s for w in self.workers for s in w.pending]
        for w in self.workers:
            w.pending = []
        return out

    @property
    def gauges(self) -> dict[int, Gauges]:
        return {w.index: w.gauges for w in self.workers}

    # --- messages and loss -------------------------------------------------------------------------

    def _on_message(self, w: WorkerHandle, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "eof":
            w.eof = True
            if w.exit_text is not None:
                self._ended(w)
            return
        if w.state == "lost":
            return  # a worker declared lost stays lost: its share is reported missing
        if kind == "beat":
            self._check_blocked(w, int(message[1]) if len(message) > 1 else 0)
            return
        if kind == "snap":
            w.read(message[1])
            self._snap_end[w.index] = message[1].end_ns
        elif kind == "track":
            self._tracked[w.index] = self._tracked.get(w.index, 0) + message[1].items
            if self.on_tracked is not None:
                self.on_tracked(message[1])
        elif kind == "ready":
            w.state = "ready"
        elif kind == "done":
            w.state = "done"
            w.done = dict(message[1])
            w.gauges.clear()
            self._note_done(w)
            self._check_finished()
        elif kind == "error":
            if w.state in ("starting", "ready") and not self._started:
                w.error = str(message[2])
            elif message[1] == "bad_input":
                self._on_bad_input(w, str(message[2]))
            else:
                self._lose(w, str(message[2]))
        assert self._changed is not None
        self._changed.set()

    def _on_bad_input(self, w: WorkerHandle, line: str) -> None:
        """A worker's task ran into bad input (its line names the scenario's file:line): the run ends with
        it, every other worker stopped at once (the Runner drains with no grace)."""
        w.state = "done"
        if isinstance(self.ref, PlanRef) and isinstance(self.plan, Plan) and line.startswith(self.ref.path):
            line = self.plan.source + line[len(self.ref.path) :]  # the path as given, not the resolved one
        if self.bad_input is None:
            self.bad_input = BadInput(line)
        if self.runner is not None:
            self.runner.request_stop("stopped")

    def _on_exit(self, w: WorkerHandle) -> None:
        w.exit_text = w.process.exit_text()
        if w.eof:
            self._ended(w)

    def _ended(self, w: WorkerHandle) -> None:
        """The worker's process is gone and everything it sent was handled (its pipe's end came last)."""
        if w.state in ("done", "lost") or w.error is not None:
            return
        why = w.exit_text or "it ended"
        if not self._started:
            w.error = why
            assert self._changed is not None
            self._changed.set()
        else:
            self._lose(w, why)

    def _check_blocked(self, w: WorkerHandle, blocked_ns: int) -> None:
        """A heartbeat says how long the worker's event loop has not turned: one held by a task (a blocking
        call) is said once, as it happens; its watchdog interrupts the task when the run's stop is due."""
        if blocked_ns < SILENT_INTERVALS * self.interval_ns or w.state != "running":
            w.blocked_said = False
            return
        if w.blocked_said:
            return
        w.blocked_said = True
        message = (
            f"worker {w.index} of {self.count}: its event loop has been blocked for {blocked_ns / 1e9:.0f} s "
            "(a blocking call in a task?); its numbers wait for it, and the blocking call is interrupted "
            "when the run's stop is due"
        )
        self._said.append(message)
        if self.warn is not None:
            self.warn(message)

    def _check_silence(self, now: int) -> None:
        limit = SILENT_INTERVALS * self.interval_ns
        for w in self.workers:
            # A message waiting in the pipe (this process was held up on a busy machine) is not silence.
            if w.state == "running" and now - w.last_heard_ns > limit and not w.pending_in_pipe():
                self._lose(w, f"it sent nothing for {SILENT_INTERVALS} intervals")

    def _lose(self, w: WorkerHandle, why: str) -> None:
        w.state = "lost"
        w.lost_why = why

        def since_t0(ns: int) -> float:
            return max(0, ns - self._t0) / 1e9 if self._t0 else 0.0

        w.lost_at_s = since_t0(w.last_heard_ns or perf_counter_ns())
        w.detected_at_s = since_t0(perf_counter_ns())
        w.gauges.clear()
        if w.process.is_alive():
            w.process.kill()
        if self.on_lost is not None:
            self.on_lost()
        last_snap = self._snap_end.get(w.index)
        unsent = (
            f"its requests since its last snapshot (at {last_snap / 1e9:.1f} s) are not counted"  # from start
            if last_snap is not None
            else "none of its requests are counted"
        )
        message = (
            f"worker {w.index} of {self.count} lost at {w.lost_at_s:.1f} s (last heard; found at "
            f"{w.detected_at_s:.1f} s): {why}; its share ({w.share * 100:.0f}% of the load) is missing from "
            f"then on, and {unsent} (they cannot be recovered)"
        )
        self._said.append(message)
        if self.warn is not None:
            self.warn(message)
        if self.abort_on_loss:
            # The warning above says it all; the reason (printed as "aborted:", kept in the summary) names it.
            self._abort(f"--abort-on-worker-loss: worker {w.index} of {self.count} was lost")
        elif all(other.state == "lost" for other in self.workers):
            self._abort(f"every worker was lost (the last: worker {w.index} of {self.count}, as warned)")
        self._check_finished()

    def _abort(self, reason: str) -> None:
        if self.runner is None or self._aborting:
            return
        self._aborting = True
        if self.runner.abort_reason is None:
            self.runner.abort_reason = reason
        self.runner.request_stop("aborted")

    def _note_done(self, w: WorkerHandle) -> None:
        assert w.done is not None
        for line in w.done.get("warnings", ()):
            if self._feeds_out.take(w.index, line) or self._counted.take(line):
                continue  # said once for the whole run, at the end (see warnings)
            if line not in self._said:
                self._said.append(line)
        cpu_pct = w.cpu_pct
        if w.load_s >= 2.0 and cpu_pct is not None and cpu_pct > SATURATED_CPU_PCT:
            self._said.append(
                f"worker {w.index} of {self.count} used {cpu_pct:.0f} % of a core during the load: its "
                "numbers may be limited by the generator (more --workers, on more cores, spread the work)"
            )

    @property
    def warnings(self) -> list[str]:
        """The run's warnings from its workers and their loss; a feed that ran out in several workers is
        said once, for the whole file, as a single process says it."""
        return [*self._said, *self._feeds_out.lines(), *self._counted.lines()]

    def imbalance_pct(self) -> float | None:
        """The largest deviation of a running worker's load from its share, in % of that share, to 0.1; None
        with fewer than two workers to compare. A scenario file's is judged scenario by scenario (its
        iterations against its share of that scenario): VUs and arrivals are not the same unit, and a 1-VU
        scenario beside a split rate would read as a 99 % imbalance. Lost workers are left out (their
        shortfall is the loss, reported on its own)."""
        alive = [w for w in self.workers if w.state != "lost"]
        if not isinstance(self.plan, Plan) or not self.parts.by_scenario:
            return deviation_pct([(w.requests, w.share) for w in alive])
        return scenario_imbalance_pct(
            [sc.name for sc in self.plan.scenarios],
            [w.by_scenario for w in alive],
            [self.parts.by_scenario[w.index - 1] for w in alive],
        )

    @property
    def _settled(self) -> bool:
        return all(w.state in ("done", "lost") for w in self.workers)

    def _check_finished(self) -> None:
        # An abort (workers lost) ends the run as aborted: the load did not finish, it was given up.
        if not self._started or self._aborting or self._finished is None or self._finished.done():
            return
        if self._settled:
            self._finished.set_result(None)

    # --- the end -----------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """The summary's ``workers`` object."""
        return {
            "count": self.count,
            "backend": self.launcher.backend,
            "lost": [w.index for w in self.workers if w.state == "lost"],
            "imbalance_pct": self.imbalance_pct(),
            "per_worker": [self._row(w) for w in self.workers],
        }

    def _row(self, w: WorkerHandle) -> dict[str, Any]:
        row = w.row()
        if self.on_tracked is not None:  # a pipeline check: the items each worker tracked
            row["tracked"] = self._tracked.get(w.index, 0)
        return row

    def close(self) -> None:
        """Kill whatever still runs and free the pipes (after the run, or when it failed to start)."""
        for w in self.workers:
            if w.process.is_alive():
                w.process.kill()
        for w in self.workers:
            w.process.join(timeout=5)
            if w.reader is not None:
                w.reader.join(timeout=1)  # it ends at the pipe's end, which the worker's exit closed
            w.conn.close()
        self.launcher.close()

"""A scenario run spread over local worker processes (``--workers N``): the coordinator's side.

The coordinator runs no load. It is an ordinary :class:`~loadpulse.engine.run.Runner` whose load is a
:class:`WorkerFleet` and whose recorder is a :class:`MergedRecorder`: every interval it waits (at most
half an interval) for each worker's snapshot, merges them into one and hands that to the usual listener,
so progress, thresholds, abort, dashboards and reports all read the merged numbers, and an abort or a
Ctrl-C stops every worker. A worker that dies or goes silent for :data:`SILENT_INTERVALS` intervals is
reported lost (live, and in the summary) and the run goes on without its share, or aborts.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from time import perf_counter_ns
from typing import Any

from loadpulse.engine.execute import execute_runner
from loadpulse.engine.run import Runner, Service, SnapshotListener
from loadpulse.engine.worker_process import worker_main
from loadpulse.errors import BadInput
from loadpulse.metrics.interval_merge import Gauges, merge_interval
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.results.outcome import RunOutcome
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_ref import PlanRef

SILENT_INTERVALS = 2
"""A running worker that sends nothing for this many intervals is lost."""
START_LEAD_S = 0.1
"""Every worker is told to start this far ahead, so all of them start at the same instant."""
DRAIN_MARGIN_S = 5.0
"""How long past the grace period the coordinator waits for a stopping worker before killing it."""
SATURATED_CPU_PCT = 90.0


@dataclass(slots=True, eq=False)
class _Worker:
    index: int
    """1-based, as the warnings and the summary name it."""
    share: float
    process: BaseProcess
    conn: Connection
    state: str = "starting"
    """starting -> ready -> running -> done | lost"""
    pending: list[Snapshot] = field(default_factory=list)
    gauges: Gauges = field(default_factory=Gauges)
    snaps: int = 0
    last_heard_ns: int = 0
    """When its last message came (set by its reading thread)."""
    eof: bool = False
    """Its pipe ended: every message it sent has been handled."""
    exit_text: str | None = None
    """How its process ended, once it has."""
    reader: threading.Thread | None = None
    requests: int = 0
    iterations: int = 0
    dropped: int = 0
    peak_vus: int = 0
    done: dict[str, Any] | None = None
    error: str | None = None
    lost_at_s: float | None = None
    lost_why: str | None = None


class WorkerFleet:
    """The coordinator's load: N worker processes, each running its part of the plan."""

    def __init__(
        self,
        ref: PlanRef,
        plan: Plan,
        count: int,
        *,
        abort_on_loss: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.ref = ref
        self.count = count
        self.interval_ns = int(plan.interval_s * 1e9)
        self.abort_on_loss = abort_on_loss
        self.warn = warn
        self.co_corrected = all(s.profile.family == "open" for s in plan.scenarios)
        self.warnings: list[str] = []
        self.workers: list[_Worker] = []
        self.runner: Runner | None = None
        self._t0 = 0
        self._started = False
        self._finished: asyncio.Future[None] | None = None
        self._changed: asyncio.Event | None = None
        self._aborting = False

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
        context = multiprocessing.get_context("spawn")  # not fork: this process has threads
        for i in range(self.count):
            ours, theirs = context.Pipe()
            part = self.ref.for_worker(i, self.count)
            process = context.Process(
                target=worker_main,
                args=(part.to_dict(), theirs),
                name=f"loadpulse-worker-{i + 1}",
                daemon=True,
            )
            process.start()
            theirs.close()
            worker = _Worker(i + 1, float(part.segment.length), process, ours)
            self.workers.append(worker)
            # One reading thread per worker, the pipe left blocking: an event-loop reader would make it
            # non-blocking, and a message read half-way would then be lost (and the rest misread).
            worker.reader = threading.Thread(
                target=self._listen, args=(worker, loop), name=f"worker-{i + 1}", daemon=True
            )
            worker.reader.start()
            loop.add_reader(process.sentinel, partial(self._on_exit, worker))
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
                _send(w.conn, ("go", t0))
        self._started = True
        await asyncio.sleep(max(0, t0 - perf_counter_ns()) / 1e9)
        self._check_finished()
        return t0

    def start(self, t0_ns: int) -> None:
        """Nothing left to do: :meth:`gate` told the workers when to start."""

    def stop(self) -> None:
        for w in self.workers:
            if w.state in ("ready", "running"):
                _send(w.conn, ("stop",))

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

    def _listen(self, w: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        """The worker's messages, handed to the event loop as they come (in the worker's thread)."""
        while True:
            try:
                message = w.conn.recv()
            except (EOFError, OSError):
                message = ("eof",)
            w.last_heard_ns = perf_counter_ns()
            try:
                loop.call_soon_threadsafe(self._on_message, w, message)
            except RuntimeError:  # the loop is closed: the run is over
                return
            if message[0] == "eof":
                return

    def _on_message(self, w: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "eof":
            w.eof = True
            if w.exit_text is not None:
                self._ended(w)
            return
        if w.state == "lost":
            return  # a worker declared lost stays lost: its share is reported missing
        if kind == "snap":
            snap: Snapshot = message[1]
            w.pending.append(snap)
            w.gauges.read(snap)
            w.snaps += 1
            w.requests += sum(s.requests for s in snap.names.values())
            w.iterations += sum(sc.iterations for sc in snap.scenarios.values())
            w.dropped += snap.dropped
            w.peak_vus = max(w.peak_vus, sum(w.gauges.vus.values()))
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
            else:
                self._lose(w, str(message[2]))
        assert self._changed is not None
        self._changed.set()

    def _on_exit(self, w: _Worker) -> None:
        asyncio.get_running_loop().remove_reader(w.process.sentinel)
        w.process.join(timeout=1)  # it has ended (its sentinel said so): reap it for its exit code
        w.exit_text = _exit_text(w.process.exitcode)
        if w.eof:
            self._ended(w)

    def _ended(self, w: _Worker) -> None:
        """The worker's process is gone and everything it sent was handled (its pipe's end came last)."""
        if w.state in ("done", "lost") or w.error is not None:
            return
        why = f"its process ended ({w.exit_text})"
        if not self._started:
            w.error = why
            assert self._changed is not None
            self._changed.set()
        else:
            self._lose(w, why)

    def _check_silence(self, now: int) -> None:
        limit = SILENT_INTERVALS * self.interval_ns
        for w in self.workers:
            # A message waiting in the pipe (this process was held up on a busy machine) is not silence.
            if w.state == "running" and now - w.last_heard_ns > limit and not _pending(w.conn):
                self._lose(w, f"it sent nothing for {SILENT_INTERVALS} intervals")

    def _lose(self, w: _Worker, why: str) -> None:
        w.state = "lost"
        w.lost_why = why
        w.lost_at_s = max(0, perf_counter_ns() - self._t0) / 1e9 if self._t0 else 0.0
        w.gauges.clear()
        if w.process.is_alive():
            w.process.kill()
        message = (
            f"worker {w.index} of {self.count} lost at {w.lost_at_s:.1f} s: {why}; its share "
            f"({w.share * 100:.0f} % of the load) is missing from then on"
        )
        self.warnings.append(message)
        if self.warn is not None:
            self.warn(message)
        if self.abort_on_loss:
            self._abort(f"--abort-on-worker-loss: {message}")
        elif all(other.state == "lost" for other in self.workers):
            self._abort(f"every worker was lost (the last: {message})")
        self._check_finished()

    def _abort(self, reason: str) -> None:
        if self.runner is None or self._aborting:
            return
        self._aborting = True
        if self.runner.abort_reason is None:
            self.runner.abort_reason = reason
        self.runner.request_stop("aborted")

    def _note_done(self, w: _Worker) -> None:
        assert w.done is not None
        for line in w.done.get("warnings", ()):
            if line not in self.warnings:
                self.warnings.append(line)
        load_s = float(w.done["load_s"])
        cpu_pct = 100.0 * float(w.done["cpu_s"]) / load_s
        if load_s >= 2.0 and cpu_pct > SATURATED_CPU_PCT:
            self.warnings.append(
                f"worker {w.index} of {self.count} used {cpu_pct:.0f} % of a core during the load: its "
                "numbers may be limited by the generator (more --workers, on more cores, spread the work)"
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
        per_worker = []
        for w in self.workers:
            done = w.done or {}
            load_s = float(done.get("load_s") or 0.0)
            per_worker.append(
                {
                    "index": w.index,
                    "state": w.state,
                    "requests": w.requests,
                    "iterations": w.iterations,
                    "dropped": w.dropped,
                    "peak_vus": w.peak_vus,
                    "cpu_pct": round(100.0 * float(done["cpu_s"]) / load_s, 1) if load_s else None,
                    "max_rss_mb": round(int(done["max_rss_kb"]) / 1024, 1) if done else None,
                    "share": round(w.share, 6),
                    **(
                        {"lost_at_s": round(w.lost_at_s or 0.0, 3), "lost_why": w.lost_why}
                        if w.lost_why
                        else {}
                    ),
                }
            )
        return {
            "count": self.count,
            "backend": "local",
            "lost": [w.index for w in self.workers if w.state == "lost"],
            "per_worker": per_worker,
        }

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


class MergedRecorder(Recorder):
    """The coordinator's recorder: it records nothing itself (the probes aside); each cut is the merge
    of the workers' snapshots received since the previous one."""

    def __init__(self, fleet: WorkerFleet) -> None:
        super().__init__()
        self.fleet = fleet
        self._cuts = 0
        self._end_ns = 0

    def cut(
        self, now_ns: int, in_flight: int = 0, connections: int = 0, loop_lag_us: Sequence[int] = ()
    ) -> Snapshot:
        snaps = self.fleet.take()
        # The workers' own interval ends (on the shared clock) rather than when the merge happened.
        end = max([s.end_ns for s in snaps] or [now_ns])
        end = max(end, self._end_ns)
        snap = merge_interval(self._cuts, self._end_ns, end, snaps, self.fleet.gauges, self.probes)
        self.probes.clear()
        self._cuts += 1
        self._end_ns = end
        return snap


def execute_workers(
    plan: Plan,
    ref: PlanRef,
    count: int,
    listener: SnapshotListener | None = None,
    *,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
    handle_signals: bool = True,
    abort_on_loss: bool = False,
    warn: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run ``plan`` (built from ``ref``) over ``count`` worker processes; the outcome is the merged
    one, with ``workers`` filled in."""
    fleet = WorkerFleet(ref, plan, count, abort_on_loss=abort_on_loss, warn=warn)

    def outcome_hook(outcome: RunOutcome) -> None:
        outcome.workers = fleet.report()
        if on_outcome is not None:
            on_outcome(outcome)

    def make() -> Runner:
        runner = Runner(
            fleet,
            MergedRecorder(fleet),
            duration_s=None,
            grace_s=plan.grace_s,
            interval_s=plan.interval_s,
            listener=listener,
            finished_reason="completed",
            sampler=sampler,
            services=services,
            on_outcome=outcome_hook,
            planned_end_s=plan.latest_end_s + START_LEAD_S + DRAIN_MARGIN_S,
            stall_end_s=plan.planned_s,
            setup_timeout_s=None,  # each worker times its own setup() and says so
            handle_signals=handle_signals,
        )
        runner.plan = plan
        fleet.attach(runner)
        return runner

    try:
        outcome = execute_runner(make)
    finally:
        fleet.close()
    outcome.workers = fleet.report()
    return outcome


def _pending(conn: Connection) -> bool:
    try:
        return conn.poll(0)
    except (EOFError, OSError):
        return False


def _lost(w: _Worker) -> dict[str, Any]:
    return {"lost_at_s": round(w.lost_at_s or 0.0, 3), "lost_why": w.lost_why}


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, EOFError, OSError):
        conn.send(message)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"

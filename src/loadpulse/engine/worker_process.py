"""One worker process of a multi-process run: its part of the plan on the ordinary engine, every interval's
snapshot sent to the coordinator, the coordinator's go and stop obeyed.

The conversation on the pipe (tuples, plain data only):

worker → coordinator: ``("ready",)`` once set-up is done; ``("beat", blocked_ns)`` every half interval
from a thread of its own (alive; ``blocked_ns``: how long its event loop has not turned, measured on its
own clock); ``("snap", Snapshot)`` every interval
and once at the end, right after ``("track", TrackedDelta)`` when the run checks a pipeline and the
worker tracked something since the last one (the coordinator polls the sinks and reconciles);
``("done", {...})`` with the worker's outcome; ``("error", kind, message)`` when it
cannot run (kind ``bad_input`` or ``crash``).

coordinator → worker: ``("go", t0_ns)`` — start the load at ``t0_ns`` (perf_counter_ns: the machine's
monotonic clock, the same in every process); ``("stop",)`` — stop gracefully, a second one at once.
A closed pipe means the coordinator is gone: the worker stops at once.

A local worker is started by :func:`main` (``python -c`` in a session of its own, see
:mod:`~loadpulse.engine.worker_launch`): it imports only the engine, never the CLI that started it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from time import perf_counter_ns
from typing import Any

from loadpulse.bounds import spread_over
from loadpulse.engine.execute import execute_runner, plan_runner
from loadpulse.engine.run import Runner, SnapshotListener
from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.pipeline.shipping import TrackShipper
from loadpulse.pipeline.tracking import Tracker
from loadpulse.profiles.segment import Segment
from loadpulse.scenario.feed import worker_share
from loadpulse.scenario.plan_ref import PlanRef

POKE_SIGNAL: signal.Signals | None = None
"""The signal this process's watchdog interrupts a blocked loop with: SIGUSR1 in a local worker (set by
:func:`main`); none in a Ray actor, whose process and signals are Ray's."""


def worker_main(ref: dict[str, Any], conn: Connection) -> None:
    """The worker's entry point (a fresh interpreter: a local process started by :func:`main`, or a Ray
    actor)."""
    # Ctrl-C (and a CI job's SIGTERM) reaches every process of the group: only the coordinator acts on
    # it, and tells us; a worker dying of it would read as a lost worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        agent = _spec_agent(conn, ref) if "spec" in ref else _plan_agent(conn, ref)
        outcome = execute_runner(agent.make)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        load_s = max(outcome.aggregate.elapsed_s, 1e-9)
        _send(
            conn,
            (
                "done",
                {
                    "ended_by": outcome.ended_by,
                    "abandoned": outcome.abandoned,
                    "co_corrected": outcome.co_corrected,
                    # The name caps' warnings are the coordinator's, once, from the merged numbers.
                    "warnings": [w for w in outcome.warnings if w not in outcome.aggregate.warnings()],
                    "cpu_s": usage.ru_utime + usage.ru_stime - agent.cpu_at_start,
                    "load_s": load_s,
                    # The CPU's window: from the go to now (a tiny run's few ms of load would read the
                    # teardown's CPU as more than a core).
                    "cpu_wall_s": (perf_counter_ns() - agent.go_ns) / 1e9 if agent.go_ns else load_s,
                    "max_rss_kb": _peak_rss_kb(usage.ru_maxrss),
                    "pid": os.getpid(),
                },
            ),
        )
    except BadInput as exc:
        _send(conn, ("error", "bad_input", str(exc)))
    except BaseException as exc:  # whatever ended the worker is the coordinator's to report
        frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" at {os.path.basename(frame[0].filename)}:{frame[0].lineno}" if frame else ""
        _send(conn, ("error", "crash", f"{type(exc).__name__}: {exc}{where}"))
    finally:
        conn.close()


def main() -> None:
    """A local worker's process: its end of the coordinator's socket is the file descriptor in argv[1];
    the first message is ``("part", ref, sys.path)``."""
    conn = Connection(int(sys.argv[1]))
    try:
        _, ref, path = conn.recv()
    except (EOFError, OSError):
        return  # the coordinator is gone (stopped while this worker started): nothing to say to anyone
    sys.path[:] = path  # the coordinator's: the scenario's imports resolve as they do there
    global POKE_SIGNAL
    POKE_SIGNAL = signal.SIGUSR1
    worker_main(ref, conn)


def _peak_rss_kb(maxrss_kb: int) -> int:
    """This process's peak resident memory: the kernel's high-water mark of its own memory (VmHWM) where
    there is one. ``ru_maxrss`` survives exec: a process started by fork and exec reports its parent's
    size at the fork (the coordinator's, 68 MB, for a worker that never passed 57)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return maxrss_kb


def _plan_agent(conn: Connection, ref: dict[str, Any]) -> _Agent:
    """A scenario file's worker: its part of the plan (a PlanRef)."""
    part = PlanRef.from_dict(ref)
    # Feeds opened while the file loads take this worker's rows only (no row used by two workers), in
    # proportion to its real part of the load when the coordinator says (``rows``).
    rows = Segment.parse(str(ref["rows"])) if ref.get("rows") else part.part
    with worker_share(rows), spread_over(part.part.count):  # the whole's bounds are all workers'
        plan = part.load()
    if plan is None:
        raise BadInput("this worker's part of the load is empty")
    tracker = None
    if plan.pipeline is not None:
        from loadpulse.engine.pipeline_check import new_tracker

        # The coordinator polls the sinks and judges the whole run; this worker only tracks.
        plan = dataclasses.replace(plan, pipeline=None)
        tracker = new_tracker()
    run_plan = plan

    def build(listener: SnapshotListener) -> Runner:
        runner = plan_runner(run_plan, listener, handle_signals=False, cap_share=float(ref.get("share", 1.0)))
        if tracker is not None:
            runner.driver.tracker = tracker  # type: ignore[attr-defined]  # a ScenarioLoad
        return runner

    return _Agent(conn, build, plan.interval_s, tracker)


def _spec_agent(conn: Connection, ref: dict[str, Any]) -> _Agent:
    """The one-liner's worker: its part of the RunSpec (a SpecRef), on the fast path."""
    from loadpulse.engine.spec_part import SpecRef

    part = SpecRef.from_dict(ref)
    return _Agent(conn, part.runner, part.spec.interval_s)


_SENDING = threading.Lock()
"""Snapshots (event loop) and heartbeats (their thread) share the pipe: one message at a time on it."""


def _send(conn: Connection, message: tuple[Any, ...]) -> bool:
    try:
        with _SENDING:
            conn.send(message)
    except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
        return False
    return True


class _Agent:
    """The worker's side of the conversation, living in its event loop."""

    def __init__(
        self,
        conn: Connection,
        build: Callable[[SnapshotListener], Runner],
        interval_s: float,
        tracker: Tracker | None = None,
    ) -> None:
        self.conn = conn
        self.build = build
        self.interval_s = interval_s
        self.tracker = tracker
        self.shipper = TrackShipper(tracker) if tracker is not None else None
        self.runner: Runner | None = None
        self._go: asyncio.Future[int | None] | None = None
        self.cpu_at_start = 0.0
        self.go_ns = 0

    def make(self) -> Runner:
        runner = self.runner = self.build(self._snapshot)
        runner.start_gate = self._gate
        # This process ignores SIGINT (the terminal's Ctrl-C is the coordinator's to act on): its watchdog
        # interrupts a task or setup() that blocks the loop past a stop with a signal of its own, and its last
        # words, should even that fail, go to the coordinator rather than to the terminal.
        if POKE_SIGNAL is not None and threading.current_thread() is threading.main_thread():
            runner.watchdog.poke_signal = POKE_SIGNAL
        runner.watchdog.on_give_up = self._last_words
        loop = asyncio.get_running_loop()
        self._go = loop.create_future()
        # A thread reads the coordinator's few messages: an event-loop reader would make the pipe
        # non-blocking, and a snapshot's send could then stop half-way when the pipe is full.
        threading.Thread(target=self._listen, args=(loop,), name="coordinator", daemon=True).start()
        # Alive is told by a thread of its own, not by the snapshots: a task that blocks the event loop
        # (a synchronous call of a few seconds, which a scenario may make) delays those, and the worker must
        # not be taken for lost. A stopped (SIGSTOP) or dead process still goes silent.
        threading.Thread(target=self._beat, args=(self.interval_s,), name="heartbeat", daemon=True).start()
        return runner

    def _last_words(self, words: str) -> None:
        # The run goes on (and ends with a summary): only this worker ends without its last numbers.
        words = words.replace("exiting without a summary", "it exited without its last numbers")
        _send(self.conn, ("error", "crash", words))

    def _beat(self, interval_s: float) -> None:
        watchdog = self.runner.watchdog if self.runner is not None else None
        while _send(self.conn, ("beat", perf_counter_ns() - watchdog.last_turn_ns if watchdog else 0)):
            time.sleep(interval_s / 2)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                message = ("gone",)
            try:
                loop.call_soon_threadsafe(self._on_message, message)
            except RuntimeError:  # the loop is closed: the run is over
                return
            if message[0] in ("stop", "gone") and self.runner is not None:
                self.runner.watchdog.note_stop()  # a loop held by a task never reads the message above
            if message[0] == "gone":
                return

    def _snapshot(self, snap: Snapshot, row: SeriesRow, agg: Aggregate) -> str | None:
        # The Snapshot itself, not its to_dict(): both ends run this very code, and unpickling numpy arrays
        # costs the coordinator ~10x less than rebuilding them from lists (bench/coordinator_merge.py).
        delta = self.shipper.take() if self.shipper is not None else None
        if delta is not None and not _send(self.conn, ("track", delta)):
            self._coordinator_gone()
        if not _send(self.conn, ("snap", snap)):
            self._coordinator_gone()
        return None

    async def _gate(self) -> int | None:
        assert self._go is not None
        if not _send(self.conn, ("ready",)):
            self._coordinator_gone()
        t0 = await self._go
        if t0 is not None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            self.cpu_at_start = usage.ru_utime + usage.ru_stime  # set-up's imports are not the load's
            self.go_ns = perf_counter_ns()
            await asyncio.sleep(max(0, t0 - perf_counter_ns()) / 1e9)
        return t0

    def _on_message(self, message: tuple[Any, ...]) -> None:
        if message[0] == "go":
            self._resolve(int(message[1]))
        elif message[0] == "stop":
            self._resolve(None)
            assert self.runner is not None
            self.runner.request_stop("stopped")
        elif message[0] == "gone":
            self._coordinator_gone()

    def _resolve(self, t0: int | None) -> None:
        if self._go is not None and not self._go.done():
            self._go.set_result(t0)

    def _coordinator_gone(self) -> None:
        self._resolve(None)
        if self.runner is not None:
            self.runner.request_stop("interrupted")
            self.runner.request_stop("interrupted")


if __name__ == "__main__":
    main()

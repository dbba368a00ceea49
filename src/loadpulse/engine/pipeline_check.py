"""The pipeline check of one run: sinks polled off the event loop every interval, then drained after the load.

What ``ctx.track()`` sent is in the :class:`~loadpulse.pipeline.tracking.Tracker`; what arrived comes from
the sinks (``probes/sinks.py``); the :class:`~loadpulse.pipeline.reconcile.Reconciler` compares them. The
result is kept as plain data in ``latest`` for the aggregate (outputs, thresholds). A sink that fails a
poll is one warning and a gap (its items are unverified, not lost); one that cannot answer before the
load is bad input.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

from loadpulse.metrics.cardinality import OTHER
from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.shipping import TrackedDelta, apply_delta
from loadpulse.pipeline.tracking import ACCEPTED, Tracker
from loadpulse.probes.sink_base import Sink, SinkError
from loadpulse.probes.sink_spec import parse_sink
from loadpulse.probes.sinks import open_sink
from loadpulse.protocols.call import DaemonPool
from loadpulse.scenario.pipeline_spec import PipelineSpec

DRAIN_POLL_S = 0.25
"""How often sinks are polled while waiting for the last items after the load: the drain time's resolution."""
FINAL_WAIT_S = 10.0
INTERRUPTED_WAIT_S = 2.0
"""After a stop: how long the last look at the sinks and the verdict may take."""
CLOSE_WAIT_S = 2.0
OBSERVE_SLICE = 20_000
"""How long the verdict waits, after the drain, for a sink poll still reconciling a large read."""


def _retrieved(fut: asyncio.Future[Any]) -> None:
    """A poll given up on may still fail later: its error is reported by the poll, not logged by asyncio."""
    if not fut.cancelled():
        fut.exception()


def new_tracker() -> Tracker:
    """This process's tracker for the run: one prefix per process and run, so ids of two runs (or two
    workers) never collide."""
    return Tracker(f"r{os.getpid():x}{int(time.time() * 1000) % 36**4:x}")


class PipelineCheck:
    """Sinks polled and reconciled against what this process tracked (``tracker``) and, in a ``--workers``
    run's coordinator, against the mirrors of what each worker tracked (:meth:`receive`)."""

    def __init__(self, spec: PipelineSpec, warn: Callable[[str], None] | None = None) -> None:
        self.spec = spec
        self.sinks: list[Sink] = [open_sink(parse_sink(s, spec.origin(i))) for i, s in enumerate(spec.sinks)]
        self.tracker = new_tracker()
        self.mirrors: dict[str, Tracker] = {}
        """The workers' trackers as shipped so far, by prefix (written on the event loop)."""
        self._shipped = False
        """Deltas came since the last poll: the reconciler must look at the mirrors again."""
        self.reconciler = Reconciler(
            [self.tracker],
            ReconcileSettings(stuck_after_ns=int(spec.stuck_after_s * 1e9), workers=spec.workers),
            ClockAnchor(perf_counter_ns(), time.time()),
        )
        self.latest: dict[str, Any] | None = None
        self.warnings: list[str] = []
        self._warn = warn
        self._failing: set[int] = set()
        self._lock = threading.Lock()
        self._pool = DaemonPool(1)
        self.bad_rows = 0
        self.interrupted = False
        """The drain was cut short by a stop: items not seen are unverified."""
        """One poll at a time: a poll cut off by the end of the run may still be in its thread."""

    @property
    def longest_drain_s(self) -> float:
        """The most the drain can take: its timeout, a last poll cut off, and the wait for its verdict."""
        return self.spec.drain_timeout_s + DRAIN_POLL_S * 20 + FINAL_WAIT_S

    def check(self) -> None:
        """Before the load: every sink answers (BadInput, one line, naming the first that does not)."""
        for sink in self.sinks:
            sink.check()

    def _report(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            if self._warn is not None:
                self._warn(message)

    def receive(self, delta: TrackedDelta) -> None:
        """What a worker tracked since its last delta (call it on the event loop)."""
        mirror = self.mirrors.get(delta.prefix)
        if mirror is None:
            mirror = Tracker(delta.prefix)
        apply_delta(mirror, delta)
        self.mirrors[delta.prefix] = mirror  # after the first apply: a poll never sees a half-made one
        self._shipped = True

    def worker_lost(self) -> None:
        """A worker of the run was lost (call it on the event loop): what it sent after its last delta is
        not known here, so a sink row that matches nothing is no longer counted as unexpected."""
        with self._lock:
            self.reconciler.lost_workers = True

    def _adopt(self) -> None:
        """Under the lock: the reconciler takes the mirrors (new ones, and those that grew: a sighting
        that waits for its id is looked up again, as its worker's delta may have come after it)."""
        if self._shipped:
            self._shipped = False
            for mirror in list(self.mirrors.values()):
                self.reconciler.add_tracker(mirror)

    @property
    def sent_count(self) -> int:
        """Items accepted, this process's and the workers' (as shipped so far)."""
        trackers = [self.tracker, *list(self.mirrors.values())]
        return sum(t.count(ACCEPTED) for t in trackers)

    def poll(self) -> dict[str, Any]:
        """Poll every sink once (blocking: run it in a thread) and reconcile what it returned."""
        with self._lock:
            self._adopt()
            now = perf_counter_ns()
            failed = False
            for i, sink in enumerate(self.sinks):
                try:
                    rows = sink.poll()
                except SinkError as exc:
                    failed = True
                    if i not in self._failing:
                        self._failing.add(i)
                        self._report(
                            f"sink {sink.label} failed: {exc} (its items are unverified until it answers)"
                        )
                    continue
                self._failing.discard(i)
                # In slices: a sink read of half a million rows must not hold as many Observations at once.
                for start in range(0, len(rows), OBSERVE_SLICE):
                    self.reconciler.observe(
                        [
                            Observation(r.id, now, r.at, r.worker, r.status)
                            for r in rows[start : start + OBSERVE_SLICE]
                        ],
                        self._bad_row,
                    )
                del rows
                if sink.skipped and sink.first_problem:
                    self._report(
                        f"sink {sink.label}: entries that are not items were skipped ({sink.first_problem})"
                    )
            self.reconciler.observe([], self._bad_row)  # ages the sightings waiting for their ids
            if failed:  # after observing: what the others returned counts, the rest stays unverified
                self.reconciler.sink_failed()
            self.reconciler.cut(now)
            latest = self.reconciler.result(now).to_dict()
            # Until the drain is over (the verdict is _settle's), an item not seen yet is on its way (the
            # backlog), not lost: a `pipeline.lost.count == 0 abort_on_fail` threshold must not stop a
            # healthy run, and the live outputs show what the drain still waits for.
            latest["lost"] = {"count": 0, "rate": 0.0}
            latest["lost_ids"] = []
            self.latest = latest
            return latest

    def _bad_row(self, obs: Observation, problem: ValueError) -> None:
        self.bad_rows += 1
        if self.bad_rows == 1:
            self._report(
                f"sink rows that are not items were left out, e.g. id {str(obs.id)[:60]!r}: {problem}"
            )

    async def _in_thread(self, fn: Callable[[], Any]) -> Any:
        # A daemon thread of our own, not the loop's default executor: a sink hung on a lock must not hold
        # the process open after the summary (asyncio.run and the interpreter join executor threads).
        return await asyncio.wrap_future(self._pool.submit(fn))

    async def run(self, interval_s: float) -> None:
        """Every ``interval_s`` during the load: poll in a worker thread."""
        interval_ns = int(interval_s * 1e9)
        next_ns = perf_counter_ns()
        while True:
            try:
                await self._in_thread(self.poll)
            except Exception as exc:  # a bug of ours must not end the checking for the rest of the run
                self._report(f"a pipeline poll failed: {type(exc).__name__}: {exc}")
            # Polls keep to the interval grid (as the series' ticks do), skipping ticks a slow poll overran,
            # so the timeline's points line up with the intervals instead of drifting by each poll's length.
            now = perf_counter_ns()
            next_ns += interval_ns * max(1, -(-(now - next_ns) // interval_ns))
            await asyncio.sleep((next_ns - now) / 1e9)

    async def drain(self, stop: asyncio.Event) -> None:
        """After the load: poll until every sent item arrived, ``drain_timeout`` passed or ``stop`` is set
        (Ctrl-C, SIGTERM: then the items not seen yet are unverified, not lost: nobody waited for them)."""
        end = perf_counter_ns()
        self.reconciler.load_ended(end)
        deadline = end + int(self.spec.drain_timeout_s * 1e9)
        stopping = asyncio.ensure_future(stop.wait())
        latest: dict[str, Any] = {}
        try:
            while True:
                polling = asyncio.ensure_future(self._in_thread(self.poll))
                polling.add_done_callback(_retrieved)
                # Stopped already (Ctrl-C during the load): one last look, briefly; else until the poll
                # answers, a stop comes, or the poll takes too long (it goes on in its thread).
                waits, wait_s = (
                    ({polling}, INTERRUPTED_WAIT_S)
                    if stop.is_set()
                    else ({polling, stopping}, DRAIN_POLL_S * 20)
                )
                await asyncio.wait(waits, timeout=wait_s, return_when="FIRST_COMPLETED")
                if polling.done() and not polling.exception():
                    latest = polling.result()
                if latest.get("drained") or perf_counter_ns() >= deadline or stop.is_set():
                    break
                pause = min(DRAIN_POLL_S, max(0.0, (deadline - perf_counter_ns()) / 1e9))
                await asyncio.wait({stopping}, timeout=pause)
            self.interrupted = stop.is_set() and not latest.get("drained")
            # A poll cut off above is still reconciling in its thread: the verdict must include what it
            # read, not stop at the poll before it (which may predate most of the run's items).
            settling = asyncio.ensure_future(self._in_thread(self._settle))
            settling.add_done_callback(_retrieved)
            await asyncio.wait({settling}, timeout=INTERRUPTED_WAIT_S if self.interrupted else FINAL_WAIT_S)
            if not settling.done():
                self._unsettled()
        finally:
            stopping.cancel()

    def _settle(self) -> None:
        with self._lock:
            self._adopt()
            latest = self.reconciler.result(perf_counter_ns()).to_dict()
            if self.interrupted and latest["lost"]["count"]:
                # Nobody waited for them: not seen is not lost.
                latest["unverified"] += latest["lost"]["count"]
                latest["lost"] = {"count": 0, "rate": 0.0}
                latest["lost_ids"] = []
            self.latest = latest
            self._clock_warnings()

    def _clock_warnings(self) -> None:
        r = self.reconciler
        unmatched = r.unmatched_of_lost_workers()
        if unmatched:
            self._report(
                f"{unmatched:,} sink row(s) matched no tracked item after a worker was lost: not counted as "
                "unexpected (presumably the lost worker's items sent after its last snapshot, which never "
                "reached the coordinator)"
            )
        if self.latest is not None and OTHER in self.latest.get("by_worker", {}):
            self._report(
                "the sink named more distinct workers than can be told apart (1,000): fairness is not "
                "known; is the worker column the worker's name?"
            )
        if r.persisted_early:
            self._report(
                f"{r.persisted_early:,} items were persisted before they were sent (by up to "
                f"{r.persisted_early_max_s:,.3f} s): the sink's clock or time zone is not this machine's; "
                "their end-to-end latency counts as 0 and is not to be trusted"
            )
        if r.persisted_late:
            self._report(
                f"{r.persisted_late:,} items were persisted more than an hour after they were sent (up to "
                f"{r.persisted_late_max_s:,.0f} s): is 'at' in epoch seconds (not milliseconds), and the "
                "sink's clock right?"
            )

    def _unsettled(self) -> None:
        """The verdict from the tracker alone, when a sink poll still holds the reconciler: every item not
        seen by the last finished poll is unverified (never lost, and never a PASS by default)."""
        self._report(
            "a sink poll did not finish in time (a slow or hung sink): the items it would have checked are "
            "unverified"
        )
        latest = dict(self.latest or {})
        sent = self.sent_count
        delivered = int(latest.get("delivered", 0))
        latest.update(
            sent=sent,
            delivered=delivered,
            lost={"count": 0, "rate": 0.0},
            lost_ids=[],
            unverified=max(0, sent - delivered - int(latest.get("in_progress", 0))),
            drained=False,
        )
        if self.reconciler.load_end_ns is not None:
            latest["drain_s"] = (perf_counter_ns() - self.reconciler.load_end_ns) / 1e9
        self.latest = latest

    def close(self) -> None:
        # Bounded: a poll hung in a sink holds the lock for good; its sink is closed under it then.
        locked = self._lock.acquire(timeout=CLOSE_WAIT_S)
        try:
            for sink in self.sinks:
                try:
                    sink.close()
                except Exception as exc:  # a sink's driver failing to close must not hide the run's result
                    self._report(f"sink {sink.label} did not close cleanly: {type(exc).__name__}: {exc}")
        finally:
            if locked:
                self._lock.release()

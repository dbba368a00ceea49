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

from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.reconcile import Observation, Reconciler, ReconcileSettings
from loadpulse.pipeline.tracking import Tracker
from loadpulse.probes.sink_base import Sink, SinkError
from loadpulse.probes.sink_spec import parse_sink
from loadpulse.probes.sinks import open_sink
from loadpulse.scenario.pipeline_spec import PipelineSpec

DRAIN_POLL_S = 0.25
"""How often sinks are polled while waiting for the last items after the load: the drain time's resolution."""
FINAL_WAIT_S = 10.0
"""How long the verdict waits, after the drain, for a sink poll still reconciling a large read."""


class PipelineCheck:
    def __init__(self, spec: PipelineSpec, warn: Callable[[str], None] | None = None) -> None:
        self.spec = spec
        self.sinks: list[Sink] = [open_sink(parse_sink(s, "--sink")) for s in spec.sinks]
        # One prefix per process and run: ids of two runs (or two workers) never collide.
        self.tracker = Tracker(f"r{os.getpid():x}{int(time.time() * 1000) % 36**4:x}")
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

    def poll(self) -> dict[str, Any]:
        """Poll every sink once (blocking: run it in a thread) and reconcile what it returned."""
        with self._lock:
            now = perf_counter_ns()
            observations: list[Observation] = []
            for i, sink in enumerate(self.sinks):
                try:
                    rows = sink.poll()
                except SinkError as exc:
                    self.reconciler.sink_failed()
                    if i not in self._failing:
                        self._failing.add(i)
                        self._report(
                            f"sink {sink.label} failed: {exc} (its items are unverified until it answers)"
                        )
                    continue
                self._failing.discard(i)
                observations.extend(Observation(r.id, now, r.at, r.worker, r.status) for r in rows)
                if sink.skipped and sink.first_problem:
                    self._report(
                        f"sink {sink.label}: entries that are not items were skipped ({sink.first_problem})"
                    )
            try:
                self.reconciler.observe(observations)
            except ValueError as exc:
                self._report(f"a sink poll was left out: {exc}")
            self.reconciler.cut(now)
            latest = self.reconciler.result(now).to_dict()
            # Until the drain is over (the verdict is _settle's), an item not seen yet is on its way (the
            # backlog), not lost: a `pipeline.lost.count == 0 abort_on_fail` threshold must not stop a
            # healthy run, and the live outputs show what the drain still waits for.
            latest["lost"] = {"count": 0, "rate": 0.0}
            latest["lost_ids"] = []
            self.latest = latest
            return latest

    async def run(self, interval_s: float) -> None:
        """Every ``interval_s`` during the load: poll in a worker thread."""
        interval_ns = int(interval_s * 1e9)
        next_ns = perf_counter_ns()
        while True:
            try:
                await asyncio.to_thread(self.poll)
            except Exception as exc:  # a bug of ours must not end the checking for the rest of the run
                self._report(f"a pipeline poll failed: {type(exc).__name__}: {exc}")
            # Polls keep to the interval grid (as the series' ticks do), skipping ticks a slow poll overran,
            # so the timeline's points line up with the intervals instead of drifting by each poll's length.
            now = perf_counter_ns()
            next_ns += interval_ns * max(1, -(-(now - next_ns) // interval_ns))
            await asyncio.sleep((next_ns - now) / 1e9)

    async def drain(self, force: asyncio.Event) -> None:
        """After the load: poll until every sent item arrived, ``drain_timeout`` passed or a second Ctrl-C."""
        end = perf_counter_ns()
        self.reconciler.load_ended(end)
        deadline = end + int(self.spec.drain_timeout_s * 1e9)
        while True:
            try:
                latest = await asyncio.wait_for(asyncio.to_thread(self.poll), DRAIN_POLL_S * 20)
            except TimeoutError:
                latest = self.latest or {}
            if latest.get("drained") or perf_counter_ns() >= deadline or force.is_set():
                break
            await asyncio.sleep(min(DRAIN_POLL_S, max(0.0, (deadline - perf_counter_ns()) / 1e9)))
        # A poll cut off above is still reconciling in its thread: the verdict must include what it read,
        # not stop at the poll before it (which may predate most of the run's items).
        try:
            await asyncio.wait_for(asyncio.to_thread(self._settle), FINAL_WAIT_S)
        except TimeoutError:
            self._report(
                f"a sink poll was still running {FINAL_WAIT_S:g} s after the drain: the items it would have "
                "checked are unverified"
            )
            if self.latest is not None:
                latest = dict(self.latest)
                latest["unverified"] = max(
                    0, int(latest["sent"]) - int(latest["delivered"]) - int(latest["in_progress"])
                )
                latest["drained"] = False
                self.latest = latest

    def _settle(self) -> None:
        with self._lock:
            self.latest = self.reconciler.result(perf_counter_ns()).to_dict()

    def close(self) -> None:
        with self._lock:
            for sink in self.sinks:
                sink.close()

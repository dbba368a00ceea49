"""Sampling every probe once per interval on the run's timeline, off the event loop.

At the start each probe is sampled once: one whose target cannot answer then is bad input (the spec or the
target is wrong, exit 2). One whose target answers without the value yet (a Redis key set only once the
load runs, a file created by the target) starts with a gap and a warning. During the run a failing probe
is reported once as a warning and leaves a gap in its series; it never stops the run. After the load,
:meth:`ProbeSampler.final_sample` takes the last sample, so the series ends where the load did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

from loadpulse.errors import BadInput
from loadpulse.probes.sources import TIMEOUT_S, ProbeError, ProbeMissing, Source

FINAL_SAMPLE_S = TIMEOUT_S + 1.0
"""The longest the final sample may hold up the end of a run (each source times out after TIMEOUT_S)."""


class ProbeSampler:
    def __init__(self, sources: Sequence[Source], warn: Callable[[str], None] | None = None) -> None:
        self.sources = list(sources)
        self.latest: dict[str, float] = {}
        self.groups: dict[str, dict[str, float]] = {}
        """Each group probe's values by group at its latest good sample. Replaced whole, never changed
        in place: the engine hands it to the aggregate while a sample may be running in its thread."""
        self.warnings: list[str] = []
        self._failing: set[str] = set()
        self._noted: set[str] = set()
        self._warn = warn
        self._lock = threading.Lock()
        """One sample at a time: a sample cut off by the end of the run may still be in its thread."""

    def check(self) -> None:
        """Sample each probe once before the run; BadInput naming the first whose target cannot answer.
        A probe with no value yet (:class:`ProbeMissing`) is a warning and a gap, not an error."""
        for s in self.sources:
            try:
                self.latest.update(s.sample())
                self._took(s)
            except ProbeMissing as exc:
                self._failing.add(s.name)
                self._report(f"probe {s.name!r} has no value yet: {exc} (a gap until it has one)")
            except ProbeError as exc:
                self.close()
                raise BadInput(f"probe {s.name!r} ({s.spec.kind}) does not answer: {exc}") from None

    def _took(self, s: Source) -> None:
        """After a good sample of ``s``: its groups, and its note said once."""
        if s.groups is not None:
            self.groups = {**self.groups, s.name: s.groups}
        if s.note is not None and s.name not in self._noted:  # once per probe: the count in it moves
            self._noted.add(s.name)
            self._report(s.note)

    def _report(self, message: str) -> None:
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def sample_all(self) -> dict[str, float]:
        values: dict[str, float] = {}
        with self._lock:
            for s in self.sources:
                try:
                    values.update(s.sample())
                    self._took(s)
                    self._failing.discard(s.name)
                except ProbeError as exc:
                    if s.name not in self._failing:
                        self._failing.add(s.name)
                        self._report(
                            f"probe {s.name!r} failed: {exc} (a gap in its series until it answers again)"
                        )
        return values

    async def final_sample(self) -> dict[str, float]:
        """One more sample of every probe, taken after the load has stopped (the interval samples stop up
        to one interval before): the engine adds it to the final snapshot. Bounded by FINAL_SAMPLE_S; a
        probe that does not answer in time is a gap, as during the run."""
        try:
            values = await asyncio.wait_for(asyncio.to_thread(self.sample_all), FINAL_SAMPLE_S)
        except TimeoutError:
            return {}
        self.latest = values
        return values

    async def run(self, interval_s: float, sink: Callable[[dict[str, float]], None]) -> None:
        """Every ``interval_s``: sample in a worker thread and hand the values to ``sink``."""
        while True:
            values = await asyncio.to_thread(self.sample_all)
            self.latest = values
            sink(values)
            await asyncio.sleep(interval_s)

    def close(self) -> None:
        for s in self.sources:
            s.close()

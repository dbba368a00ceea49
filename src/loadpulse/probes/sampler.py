"""Sampling every probe once per interval on the run's timeline, off the event loop.

At the start each probe is sampled once: one that cannot answer then is bad input (the spec or the target is
wrong, exit 2). During the run a failing probe is reported once as a warning and leaves a gap in its series;
it never stops the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from loadpulse.errors import BadInput
from loadpulse.probes.sources import ProbeError, Source


class ProbeSampler:
    def __init__(self, sources: Sequence[Source], warn: Callable[[str], None] | None = None) -> None:
        self.sources = list(sources)
        self.latest: dict[str, float] = {}
        self.warnings: list[str] = []
        self._failing: set[str] = set()
        self._warn = warn

    def check(self) -> None:
        """Sample each probe once before the run; BadInput naming the first that cannot answer."""
        for s in self.sources:
            try:
                self.latest.update(s.sample())
            except ProbeError as exc:
                self.close()
                raise BadInput(f"probe {s.name!r} ({s.spec.kind}) does not answer: {exc}") from None

    def sample_all(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for s in self.sources:
            try:
                values.update(s.sample())
                self._failing.discard(s.name)
            except ProbeError as exc:
                if s.name not in self._failing:
                    self._failing.add(s.name)
                    message = f"probe {s.name!r} failed: {exc} (a gap in its series until it answers again)"
                    self.warnings.append(message)
                    if self._warn is not None:
                        self._warn(message)
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

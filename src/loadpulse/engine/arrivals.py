"""Open-model scenario executor: iterations start on the profile's schedule, whatever the target does.

Each arrival is timed from the scenario start (``pace``); it takes an idle VU, creates one while fewer
than ``max_vus`` exist, or else is counted as dropped (k6's dropped_iterations), never queued or delayed.
The first request of each iteration measures its latency from the arrival's intended time, so a stalling
target shows in full (coordinated omission corrected); service time from the send is recorded beside it.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from loadpulse.engine.executor import Executor, Slot, sleep_until
from loadpulse.engine.watchdog import RunInterrupted
from loadpulse.profiles.base import OpenProfile, pace


class Arrivals(Executor):
    idle: list[Slot]

    async def prepare(self) -> None:
        """Make the pre-allocated VUs ready, connections open, so the first arrivals find them warm.

        Without it the first arrivals all find cold VUs, each connects, connecting takes longer than the
        gap between arrivals, and more cold VUs get taken: a connect storm the target never asked for.
        """
        profile = self.profile
        assert isinstance(profile, OpenProfile)
        self.idle = [self.new_slot() for _ in range(profile.initial_vus)]
        await asyncio.gather(*(slot.ctx.http.warm() for slot in self.idle))

    async def run(self, t0_ns: int) -> None:
        profile = self.profile
        assert isinstance(profile, OpenProfile)
        start = t0_ns + int(profile.start * 1e9)
        await sleep_until(start)
        started = 0
        max_vus = profile.max_vus
        while not self.stopping:
            n, wait_s = pace(profile, (perf_counter_ns() - start) / 1e9, started)
            # Arrivals beyond what idle and creatable VUs can take are dropped in one step, not one loop
            # turn each: a schedule far behind (a stalled loop, an absurd rate) must not spin here.
            take = min(n, len(self.idle) + max(0, max_vus - len(self.slots)))
            if n > take:
                self.rec.dropped += n - take
                self.recorder.dropped += n - take
            for _ in range(take):
                at = profile.arrival_s(started)
                started += 1
                assert at is not None
                slot = self.idle.pop() if self.idle else self.new_slot()
                self.running += 1
                self.rec.vus = self.running
                slot.task = asyncio.ensure_future(self._one(slot, start + int(at * 1e9)))
            started += n - take
            if wait_s is None:
                break
            # uvloop timers have 1 ms resolution; sleep(0) still yields so responses get processed.
            await asyncio.sleep(wait_s if wait_s >= 0.001 else 0)
        await self.wind_down(profile.graceful_stop)

    async def _one(self, slot: Slot, intended_ns: int) -> None:
        try:
            await self.iteration(slot, intended_ns)
        except RunInterrupted:
            self.stopping = True
        finally:
            self.running -= 1
            self.rec.vus = self.running
            self.idle.append(slot)

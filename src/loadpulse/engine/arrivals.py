"""Open-model scenario executor: iterations start on the profile's schedule, whatever the target does.

Arrivals come from the open-model scheduler (engine/schedule.py), timed from the scenario start; each takes
an idle VU, creates one while fewer than ``max_vus`` exist, or else is counted as dropped (k6's
dropped_iterations), never queued or delayed.
The first request of each iteration measures its latency from the arrival's intended time, so a stalling
target shows in full (coordinated omission corrected); service time from the send is recorded beside it.
"""

from __future__ import annotations

import asyncio

from loadpulse.engine.executor import Executor, Slot
from loadpulse.engine.schedule import ArrivalScheduler
from loadpulse.engine.watchdog import RunInterrupted
from loadpulse.profiles.base import OpenProfile


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
        await asyncio.gather(*(slot.ctx.warm() for slot in self.idle))

    async def run(self, t0_ns: int) -> None:
        profile = self.profile
        assert isinstance(profile, OpenProfile)
        start = t0_ns + int(profile.start * 1e9)
        # The schedule object itself (a worker's cut: its stripe of the whole run's), not the profile:
        # one call per arrival, not one more through the profile.
        await ArrivalScheduler(profile.arrival_schedule(), start, self.clock).run(self)
        if not self.stopping:
            # The graceful stop counts from the end of the profile's time, not from its last arrival.
            await self.clock.sleep_until(start + int(profile.planned_s * 1e9))
        await self.wind_down(profile.graceful_stop)

    # ArrivalSink ----------------------------------------------------------------------------------------
    def room(self) -> int:
        assert isinstance(self.profile, OpenProfile)
        return len(self.idle) + max(0, self.profile.max_vus - len(self.slots))

    def drop(self, n: int) -> None:
        self.rec.dropped += n
        self.recorder.dropped += n

    def arrive(self, intended_ns: int) -> None:
        slot = self.idle.pop() if self.idle else self.new_slot()
        self.running += 1
        self.rec.vus = self.running
        slot.task = asyncio.ensure_future(self._run_arrival(slot, intended_ns))

    async def _run_arrival(self, slot: Slot, intended_ns: int) -> None:
        """One arrival's iteration on ``slot``; the VU goes back to the idle ones after it."""
        try:
            await self.iteration(slot, intended_ns)
        except RunInterrupted:
            self.stopping = True
        finally:
            self.running -= 1
            self.rec.vus = self.running
            self.idle.append(slot)

"""Closed-model scenario executor: a pool of VUs sized by the profile's ``vus_at`` (k6's VU executors).

A controller tick every 50 ms compares the wanted VU count with the running one: it starts VUs (reusing
slots, so a VU keeps its id and state across a dip) or retires the newest ones, which finish their current
iteration within ``graceful_ramp_down`` before being interrupted. Iteration budgets (shared or per VU) end
the scenario early; when its time is up, running iterations get ``graceful_stop`` to finish.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

from loadpulse.engine.executor import YIELD_AFTER_NS, Executor, Slot
from loadpulse.engine.watchdog import RunInterrupted
from loadpulse.profiles.base import ClosedProfile

TICK_S = 0.05


class VuPool(Executor):
    async def run(self, t0_ns: int) -> None:
        profile = self.profile
        assert isinstance(profile, ClosedProfile)
        start = t0_ns + int(profile.start * 1e9)
        self._shared_left = profile.shared_iterations
        self._per_vu = profile.iterations_per_vu
        clock = self.clock
        await clock.sleep_until(start)
        ramp_down_ns = int(profile.graceful_ramp_down * 1e9)
        while not self.stopping:
            now = clock.now_ns()
            t = (now - start) / 1e9
            if t >= profile.planned_s:
                break
            if self._budget_spent() and not self.busy_slots():
                break
            self._resize(profile.vus_at(t), now, ramp_down_ns)
            await clock.sleep(TICK_S)
        await self.wind_down(profile.graceful_stop)

    def _budget_spent(self) -> bool:
        if self._shared_left is not None:
            return self._shared_left <= 0
        if self._per_vu is not None:
            # Every VU the profile wants has been started and has used its iterations.
            return len(self.slots) >= self.profile.peak_vus and all(
                s.vu.iteration >= self._per_vu for s in self.slots
            )
        return False

    def _resize(self, want: int, now: int, ramp_down_ns: int) -> None:
        active = [s for s in self.slots if s.task is not None and not s.task.done() and not s.retire_at]
        for slot in self.slots:
            if slot.retire_at and slot.task is not None and not slot.task.done() and now > slot.retire_at:
                if slot.busy:
                    self.interrupted += 1
                    self.rec.interrupted += 1
                slot.task.cancel()
        if len(active) < want:
            idle = [s for s in self.slots if s.task is None or s.task.done()]
            for _ in range(want - len(active)):
                slot = idle.pop(0) if idle else self.new_slot()
                slot.retire_at = 0
                self._launch(slot)
        elif len(active) > want:
            for slot in active[want:]:
                slot.retire_at = now + ramp_down_ns

    def _launch(self, slot: Slot) -> None:
        self.running += 1
        self.rec.vus = self.running
        slot.task = asyncio.ensure_future(self._vu_loop(slot))

    def _claim(self, slot: Slot) -> bool:
        if self._shared_left is not None:
            if self._shared_left <= 0:
                return False
            self._shared_left -= 1
        elif self._per_vu is not None and slot.vu.iteration >= self._per_vu:
            return False
        return True

    async def _vu_loop(self, slot: Slot) -> None:
        think = self.scenario.think_time_s
        # Per iteration, only what the run needs: no budget call without a budget, and the starvation
        # check (Executor.loop_starved) inlined.
        budget = self._shared_left is not None or self._per_vu is not None
        iteration = self.iteration
        try:
            while not self.stopping and not slot.retire_at and (not budget or self._claim(slot)):
                await iteration(slot)
                if think:
                    await self.clock.sleep(think)
                else:
                    wd = self.watchdog
                    if wd is not None and perf_counter_ns() - wd.last_turn_ns > YIELD_AFTER_NS:
                        await asyncio.sleep(0)
        except RunInterrupted:
            self.stopping = True
        finally:
            self.running -= 1
            self.rec.vus = self.running

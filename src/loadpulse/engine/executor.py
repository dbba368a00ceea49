"""What both scenario executors share: running one iteration of user code, recording it, stopping.

An iteration runs one task picked by weight (within one of its share at any count, see ``mix_cycle``). An
exception in user code is a ``script_error`` keyed by its type and the user's line; it ends that iteration
only, never the VU or the run. :class:`BadInput` is not the script's failure but loadpulse refusing what the
script asked (a URL it cannot send to, an unknown gRPC method): it stops the whole run as bad input (exit 2).
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.engine.mix import mix_cycle
from loadpulse.engine.watchdog import LoopWatchdog, RunInterrupted
from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.scenario.ctx import Ctx, Vu
from loadpulse.scenario.feed import FeedExhausted
from loadpulse.scenario.model import ScenarioDef

CtxFactory = Callable[[Vu], Ctx]

YIELD_AFTER_NS = 20_000_000
"""A VU whose iterations never suspend (a task with no await, or one that raises at once) hands the loop
back once it has not turned for this long, so timers, signals, responses and other VUs still run."""


def script_error_key(exc: BaseException, source: str) -> str:
    """'KeyError at scenario.py:12': the exception type and the user's innermost line in ``source``
    (falling back to the innermost frame anywhere)."""
    own = getattr(exc, "script_error_key", None)
    if isinstance(own, str):  # an error that names its own place: a YAML flow's step path (yaml_flow.py)
        return own
    frames = traceback.extract_tb(exc.__traceback__)
    frame = user_frame(frames, source) or (frames[-1] if frames else None)
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    return f"{type(exc).__name__} at {where}"


def user_frame(frames: traceback.StackSummary, source: str) -> traceback.FrameSummary | None:
    """The innermost frame in the scenario file ``source`` (by name); None when none is (a YAML flow)."""
    target = Path(source).name
    return next((f for f in reversed(frames) if Path(f.filename).name == target), None)


def bad_input_in_task(exc: BadInput, source: str) -> BadInput:
    """``exc`` as the run's one line: 'path/s.py:5: unsupported scheme ...' at the user's line that asked
    for it. A message that already names the file (a YAML step's 'flows.yaml:7: ...') is kept as it is."""
    message = str(exc)
    frame = user_frame(traceback.extract_tb(exc.__traceback__), source)
    if frame is not None:
        message = f"{source}:{frame.lineno}: {message}"
    elif Path(source).name not in message:
        message = f"{source}: {message}"
    return BadInput(message, exc.detail)


class Slot:
    """A VU and its context; a slot is reused when the VU count goes down and up again."""

    __slots__ = ("busy", "ctx", "retire_at", "task", "vu")

    def __init__(self, vu: Vu, ctx: Ctx) -> None:
        self.vu = vu
        self.ctx = ctx
        self.task: asyncio.Task[None] | None = None
        self.busy = False
        """Inside an iteration (cancelling it now interrupts work)."""
        self.retire_at = 0
        """ns deadline by which a retired VU must have finished its iteration; 0 = not retired."""


class Executor:
    """Base of the closed (VU pool) and open (arrivals) executors of one scenario."""

    def __init__(
        self,
        scenario: ScenarioDef,
        recorder: Recorder,
        new_ctx: CtxFactory,
        source: str,
        first_vu_id: int = 1,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.profile = scenario.profile
        self.rec = recorder.for_scenario(scenario.name)
        self.recorder = recorder
        self.new_ctx = new_ctx
        self.source = source
        self.tasks = scenario.tasks
        self._fns = [t.fn for t in scenario.tasks]
        self._cycle = mix_cycle([t.weight for t in scenario.tasks]) if len(scenario.tasks) > 1 else [0]
        self._next = 0
        self.slots: list[Slot] = []
        self._first_id = first_vu_id
        self.stopping = False
        self.winding_down = False
        """Its load is over: only its running iterations' graceful stop is left (wind_down)."""
        self.running = 0
        self.interrupted = 0
        self._aux: set[asyncio.Task[None]] = set()
        self.watchdog: LoopWatchdog | None = None
        self.stopped_by = ""
        """Why the scenario stopped before its profile's end (a test-data feed ran out), for the warnings."""
        self.on_bad_input: Callable[[BadInput], None] | None = None
        """Told of a task's bad input (the one line to end the run with): the load stops every scenario."""

    def new_slot(self) -> Slot:
        vu = Vu(id=self.profile.vu_id(self._first_id, len(self.slots)))
        slot = Slot(vu, self.new_ctx(vu))
        self.slots.append(slot)
        return slot

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._aux.add(task)
        task.add_done_callback(self._aux.discard)
        return task

    async def iteration(self, slot: Slot, intended_ns: int = 0) -> None:
        cycle = self._cycle
        i = self._next
        self._next = i + 1 if i + 1 < len(cycle) else 0
        fn = self._fns[cycle[i]]
        ctx = slot.ctx
        slot.vu.iteration += 1
        ctx.begin_iteration(intended_ns)
        slot.busy = True
        now_ns = self.clock.now_ns
        t = now_ns()
        try:
            await fn(ctx)
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being cancelled (stop, ramp-down): not the script's doing
            self.rec.script_error(script_error_key(exc, self.source), exc)
        except FeedExhausted as exc:
            # No row left for this iteration: not an iteration, not an error; the scenario is done.
            slot.busy = False
            if not self.stopped_by:
                self.stopped_by = f"scenario {self.scenario.name!r} stopped before its end: {exc}"
            self.stopping = True
            return
        except RunInterrupted:
            # Raised by the watchdog into a task that blocked the loop past a stop: that iteration is
            # interrupted, and the run's stop request is already on its way.
            slot.busy = False
            self.interrupted += 1
            self.rec.interrupted += 1
            self.stopping = True
            return
        except BadInput as exc:
            # What loadpulse refused to do for the task fails the same way on every iteration: the run
            # stops as bad input rather than counting thousands of script errors and passing.
            if self.on_bad_input is None:  # no load around this executor to end the run with it
                self.rec.script_error(script_error_key(exc, self.source), exc)
            else:
                slot.busy = False
                self.stopping = True
                self.on_bad_input(bad_input_in_task(exc, self.source))
                return
        except (Exception, SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
            # SystemExit and KeyboardInterrupt raised by a task would otherwise escape the event loop and
            # end the whole run with nothing reported; GeneratorExit would silently kill the VU.
            self.rec.script_error(script_error_key(exc, self.source), exc)
        finally:
            slot.busy = False
        rec = self.rec
        rec.iterations += 1
        rec.duration.append((now_ns() - (intended_ns or t)) // 1000)

    def stop(self) -> None:
        self.stopping = True

    def loop_starved(self) -> bool:
        """True when the event loop has not turned for YIELD_AFTER_NS: the caller must yield."""
        wd = self.watchdog
        # Real time, like the watchdog's own: starving the loop is about the machine, not the schedule.
        return wd is not None and perf_counter_ns() - wd.last_turn_ns > YIELD_AFTER_NS

    def busy_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.task is not None and not s.task.done()]

    async def wind_down(self, grace_s: float) -> None:
        """Stop starting iterations; let running ones finish within ``grace_s``, then interrupt them."""
        self.winding_down = True
        self.stop()
        clock = self.clock
        deadline = clock.now_ns() + int(grace_s * 1e9)
        while self.busy_slots() and clock.now_ns() < deadline:
            await clock.sleep(0.01)
        self.cancel_all()
        await asyncio.sleep(0)

    def cancel_all(self) -> None:
        for slot in self.busy_slots():
            if slot.busy:
                self.interrupted += 1
                self.rec.interrupted += 1
            assert slot.task is not None
            slot.task.cancel()
        for task in list(self._aux):
            task.cancel()

    async def prepare(self) -> None:
        """Work done before the run's clock starts (nothing by default)."""

    async def run(self, t0_ns: int) -> None:
        raise NotImplementedError

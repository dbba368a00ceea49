"""The run's watchdog: event-loop lag measured all the time, and stop requests that always get through.

Two parts, because one cannot see a blocked loop from inside it:

- an in-loop timer ticking every ``TICK_S`` records how late it fires (the loop's lag: how long every
  callback, including every response, waited behind whatever held the loop) and when the loop last turned;
- a daemon thread that watches the last turn. When a stop was asked for (a signal, or the run's hard
  deadline passing) and the loop has not turned for ``STALL_S``, the loop is stuck in code that never
  yields (a blocking SDK call or ``time.sleep`` in a task, a sync ``setup()``). The thread then sends the
  main thread a real signal, whose Python handler raises :class:`RunInterrupted` inside that code: blocking
  calls return with EINTR, so even ``time.sleep(3600)`` ends.

Signals are handled with ``signal.signal`` rather than ``loop.add_signal_handler``: the latter only writes
to the loop's wakeup pipe, which a blocked loop never reads.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from array import array
from asyncio import AbstractEventLoop, TimerHandle
from collections.abc import Callable
from time import perf_counter_ns
from types import FrameType
from typing import Any

from loadpulse.metrics.aggregate import LAG_TICK_S

TICK_S = LAG_TICK_S
STALL_S = 1.0
"""A loop that has not turned for this long while a stop is pending is stuck in user code."""
GIVE_UP_S = 10.0
"""After this long past a pending stop with the loop still stuck (the raised interrupt was swallowed),
the process exits: a load tool that cannot be stopped is worse than one that loses its last interval."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_INTERRUPTED = 130


class RunInterrupted(BaseException):
    """Raised inside code that blocks the event loop when the run must stop.

    A BaseException so that user code's ``except Exception`` does not swallow it; asyncio tasks store it
    (only KeyboardInterrupt and SystemExit escape the loop), and the executors catch it where they run
    user code.
    """


class LoopWatchdog:
    def __init__(self, on_stop: Callable[[str], None], handle_signals: bool = True) -> None:
        self.on_stop = on_stop
        """Called in the loop with 'interrupted' on a signal, 'overrun' past the hard deadline."""
        self.handle_signals = handle_signals
        self.lags = array("q")
        """Lag of each tick in µs since the last :meth:`take_lags`."""
        self.last_turn_ns = perf_counter_ns()
        self.deadline_ns = 0
        """Past this the run must already have ended (its graceful stops included); 0 = none yet."""
        self.deadline_reason = "overrun"
        self.stall_deadline_ns = 0
        """Past this (duration + grace + margin, no graceful stop), a loop that is stuck is interrupted:
        a blocked loop cannot let iterations finish gracefully anyway."""
        self.stop_pending_ns = 0
        self.fired = ""
        """The deadline reason that asked for the stop ('overrun', 'setup_timeout'), '' for none."""
        self.signals = 0
        self._loop: AbstractEventLoop | None = None
        self._timer: TimerHandle | None = None
        self._expected_ns = 0
        self._escalate = False
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: dict[int, Any] = {}
        self._main_ident = threading.main_thread().ident
        self.poke_signal: signal.Signals | None = None
        """A worker process's (it ignores SIGINT: the terminal's Ctrl-C is the coordinator's): the signal the
        watchdog interrupts a stuck loop with, handled whatever ``handle_signals`` says."""
        self.on_give_up: Callable[[str], None] | None = None
        """A worker process's: where the last words go before it exits (its coordinator), not stderr."""

    # lifecycle ------------------------------------------------------------------------------------------
    def start(self, loop: AbstractEventLoop) -> None:
        self._loop = loop
        self.last_turn_ns = perf_counter_ns()
        self._schedule()
        self.install_signals()
        if self.poke_signal is not None and threading.current_thread() is threading.main_thread():
            self._previous.setdefault(self.poke_signal, signal.signal(self.poke_signal, self._on_poke))
        self._thread = threading.Thread(target=self._watch, name="loadpulse-watchdog", daemon=True)
        self._thread.start()

    def install_signals(self) -> None:
        """Take SIGINT/SIGTERM/SIGHUP (again: a scenario's setup() may have replaced or ignored them)."""
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return
        for sig in STOP_SIGNALS:
            previous = signal.signal(sig, self._on_signal)
            self._previous.setdefault(sig, previous)

    def arm(self, deadline_ns: int, reason: str, stall_deadline_ns: int = 0) -> None:
        """Set the deadline past which a stop is asked for with ``reason`` (0 disarms)."""
        self.deadline_ns, self.deadline_reason, self.stall_deadline_ns = (
            deadline_ns,
            reason,
            stall_deadline_ns,
        )

    def close(self) -> None:
        self._closed.set()
        if self._timer is not None:
            self._timer.cancel()
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def take_lags(self) -> array[int]:
        """The lags recorded since the last call (the recorder buckets them into the snapshot)."""
        taken = array("q", self.lags)
        del self.lags[:]
        return taken

    # in the loop ----------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        assert self._loop is not None
        self._expected_ns = perf_counter_ns() + int(TICK_S * 1e9)
        self._timer = self._loop.call_later(TICK_S, self._tick)

    def _tick(self) -> None:
        now = perf_counter_ns()
        self.last_turn_ns = now
        self.lags.append(max(0, now - self._expected_ns) // 1000)
        if not self._closed.is_set():
            self._schedule()

    # in the main thread, between bytecodes ---------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        self.request_stop("interrupted")
        stuck = perf_counter_ns() - self.last_turn_ns > STALL_S * 1e9
        if self._escalate or stuck:
            self._escalate = False
            raise RunInterrupted(signal.Signals(signum).name)

    def _on_poke(self, signum: int, frame: FrameType | None) -> None:
        # Only the watchdog sends it, and only past a pending stop: interrupt whatever holds the loop.
        if self._escalate or perf_counter_ns() - self.last_turn_ns > STALL_S * 1e9:
            self._escalate = False
            raise RunInterrupted(signal.Signals(signum).name)

    def note_stop(self) -> None:
        """A stop was asked for from another thread and reaches the loop by itself (a worker's coordinator
        said stop): should the loop be stuck, it is interrupted as for a stop asked for here."""
        if not self.stop_pending_ns:
            self.stop_pending_ns = perf_counter_ns()

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop the run; thread- and signal-safe."""
        if not self.stop_pending_ns:
            self.stop_pending_ns = perf_counter_ns()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.on_stop, reason)

    # in the watchdog thread -----------------------------------------------------------------------------
    def _watch(self) -> None:
        poked_ns = 0
        while not self._closed.wait(0.1):
            now = perf_counter_ns()
            stuck = now - self.last_turn_ns >= STALL_S * 1e9
            if not self.stop_pending_ns and (
                (self.deadline_ns and now > self.deadline_ns)
                or (self.stall_deadline_ns and now > self.stall_deadline_ns and stuck)
            ):
                self.fired = self.deadline_reason
                self.request_stop(self.deadline_reason)
            pending = self.stop_pending_ns
            if not pending or now - self.last_turn_ns < STALL_S * 1e9:
                continue
            # Stop pending, loop stuck since: interrupt the code that holds it, once a second.
            if now - pending > GIVE_UP_S * 1e9 and now - self.last_turn_ns > GIVE_UP_S * 1e9:
                self._give_up()
                return
            poke = self.poke_signal or (signal.SIGINT if self.handle_signals else None)
            if now - poked_ns > STALL_S * 1e9 and poke is not None and self._main_ident is not None:
                poked_ns = now
                self._escalate = True
                signal.pthread_kill(self._main_ident, poke)

    def _give_up(self) -> None:
        stuck_s = (perf_counter_ns() - self.last_turn_ns) / 1e9
        words = (
            f"the scenario has blocked the event loop for {stuck_s:.0f} s and ignored every interrupt (a "
            "blocking call in a task or setup?); exiting without a summary"
        )
        if self.on_give_up is not None:
            self.on_give_up(words)
        else:
            sys.stderr.write(f"loadpulse: error: {words}\n")
            sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)

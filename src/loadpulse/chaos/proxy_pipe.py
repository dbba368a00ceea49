"""Data one way through a proxied connection, delayed and paced by the proxy's faults of the moment.

With no fault on, the protocols write each chunk straight through (``Pipe.fast``). With a fault on, a pipe
queues ``(due, chunk)`` pairs and a single timer per pipe (``loop.call_at``) sends the head when it is
due, so chunks keep their order even when jitter would draw a later chunk an earlier time. Bandwidth is a
token bucket per pipe (per direction, per connection), refilled at the rate and holding at most 20 ms of
it (at least one 1,460-byte segment): a limit is a per-connection limit, as toxiproxy's. A queue over
256 KiB pauses reading from the sender until it drains below 64 KiB, so a slow fault never buffers
without bound.

A stall applied under an open connection holds its data, never drops it: the first chunk each way is
queued and reading from its sender paused (TCP backpressure holds the rest in the kernel), the FIN waits
behind the queue, and when the stall ends everything held goes on in order. A change of latency, jitter
or direction reschedules what is queued from each chunk's arrival (``reschedule``), so clearing faults
releases data at once instead of at the due time of a latency no longer on.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from loadpulse.chaos.proxy_link import Link

HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
BURST_S = 0.02
MIN_BURST = 1460

Flow = Literal["up", "down"]


def timer_slack(loop: asyncio.AbstractEventLoop) -> float:
    """How much later than a chunk's due time to wake for it, so that it is never sent early.

    uvloop keeps its clock in whole milliseconds and rounds timer delays to them: a timer fired up to
    1.5 ms early, and a 100 ms latency measured 99.5 ms. The asyncio loop's clock is exact.
    """
    return 0.002 if type(loop).__module__.startswith("uvloop") else 0.0


class Pipe:
    """Data one way, from ``src`` to ``dst``, delayed and paced by the proxy's faults of the moment."""

    __slots__ = (
        "closing", "done", "dst", "dst_full", "eof", "eof_timer", "fast", "flow", "last_due", "link", "queue",
        "queued", "sent", "src", "src_held", "timer", "tokens", "tokens_at",
    )  # fmt: skip

    def __init__(self, link: Link, flow: Flow) -> None:
        self.link = link
        self.flow: Flow = flow
        self.src: asyncio.Transport | None = None
        self.dst: asyncio.Transport | None = None
        self.queue: deque[tuple[float, float, bytes]] = deque()  # (due, arrival, chunk)
        self.queued = 0
        self.last_due = 0.0
        self.tokens = 0.0
        self.tokens_at: float | None = None  # None: the bucket is full
        self.timer: asyncio.TimerHandle | None = None
        self.dst_full = False
        self.src_held = False
        self.eof = False
        self.closing = False  # the FIN is on its way (maybe held back by a slow close)
        self.done = False  # the FIN was passed on
        self.eof_timer: asyncio.TimerHandle | None = None
        self.sent = 0
        # True when a chunk may go straight to ``dst`` (read by the protocols on every chunk): connected,
        # nothing queued, no fault on this flow, not picked for a reset. ``refresh`` keeps it true to that.
        self.fast = False

    def refresh(self) -> None:
        link = self.link
        self.fast = (
            self.dst is not None
            and not self.queue
            and link.proxy.passthrough[self.flow]
            and not link.doomed
            and not link.stalled
            and not link.closed
        )

    def feed(self, data: bytes) -> None:
        """The path for every chunk while ``fast`` is false (the protocols write directly otherwise)."""
        link, dst = self.link, self.dst
        if link.stalled or link.closed:
            return
        if dst is None or self.queue or not link.proxy.passthrough[self.flow] or link.doomed:
            # uvloop may hand over data before the upstream is connected, despite pause_reading in
            # connection_made: it waits in the queue like delayed data.
            self._feed_faulty(data)
            return
        self.sent += len(data)
        dst.write(data)

    def _feed_faulty(self, data: bytes) -> None:
        link, proxy = self.link, self.link.proxy
        faults = proxy.faults
        if link.doomed and faults.reset_share > 0:
            link.reset()
            proxy.resets += 1
            return
        now = link.loop.time()
        self.last_due = due = max(self._due(now), self.last_due)
        self.queue.append((due, now, data))
        self.queued += len(data)
        self.fast = False
        self._hold_src()
        if self.timer is None:
            self.pump()

    def _due(self, arrival: float) -> float:
        faults = self.link.proxy.faults
        if faults.applies(self.flow) and (faults.latency_s or faults.jitter_s):
            jitter = random.uniform(-faults.jitter_s, faults.jitter_s) if faults.jitter_s else 0.0
            return arrival + max(0.0, faults.latency_s + jitter)
        return arrival

    def reschedule(self, timing_changed: bool) -> None:
        """The faults changed: queued chunks are due by the new latency counted from their arrival (now
        when latency is off for this flow), still in order; whatever is due now goes (a stall's end)."""
        if timing_changed and self.queue:
            last = 0.0
            for i, (_, arrival, data) in enumerate(self.queue):
                last = max(self._due(arrival), last)
                self.queue[i] = (last, arrival, data)
            self.last_due = last
        elif timing_changed:
            self.last_due = 0.0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.pump()

    def pump(self) -> None:
        """Send every chunk that is due and that the bucket allows; arm the timer for the next one."""
        self.timer = None
        dst = self.dst
        faults = self.link.proxy.faults
        if dst is None or self.dst_full or dst.is_closing() or faults.stall or self.link.closed:
            return
        loop = self.link.loop
        rate = faults.bandwidth_bps / 8.0 if faults.bandwidth_bps and faults.applies(self.flow) else None
        now = loop.time()
        queue = self.queue
        while queue and not self.dst_full:
            due, arrival, data = queue[0]
            if due > now:
                self.timer = loop.call_at(due + self.link.timer_slack, self.pump)
                return
            if rate is not None:
                burst = max(MIN_BURST, rate * BURST_S)
                if self.tokens_at is None:
                    self.tokens = burst
                else:
                    self.tokens = min(burst, self.tokens + (now - self.tokens_at) * rate)
                self.tokens_at = now
                n = min(len(data), int(self.tokens))
                if n < min(len(data), MIN_BURST):
                    wait = (min(len(data), MIN_BURST) - self.tokens) / rate
                    self.timer = loop.call_at(now + wait + self.link.timer_slack, self.pump)
                    return
                self.tokens -= n
            else:
                n = len(data)
                self.tokens_at = None
            if n < len(data):
                queue[0] = (due, arrival, data[n:])
                data = data[:n]
            else:
                queue.popleft()
            self.queued -= n
            self.sent += n
            dst.write(data)
        self._release_src()
        if not queue:
            self.refresh()
            if self.eof:
                self._pass_eof()

    def _hold_src(self) -> None:
        if self.src_held or self.src is None or self.src.is_closing():
            return
        if self.queued > HIGH_WATER or self.dst_full or self.link.proxy.faults.stall:
            self.src_held = True
            self.src.pause_reading()

    def _release_src(self) -> None:
        if (
            self.src_held
            and self.queued < LOW_WATER
            and not self.dst_full
            and self.src is not None
            and not self.link.proxy.faults.stall
        ):
            self.src_held = False
            if not self.src.is_closing():
                self.src.resume_reading()

    def dst_paused(self) -> None:
        self.dst_full = True
        self._hold_src()

    def dst_resumed(self) -> None:
        self.dst_full = False
        if self.timer is None:
            self.pump()
        else:
            self._release_src()

    def end(self) -> None:
        """The sender closed its side (FIN): pass it on once the queue has drained."""
        if self.eof:
            return
        self.eof = True
        if not self.queue and self.timer is None:
            self._pass_eof()

    def _pass_eof(self) -> None:
        if self.closing or self.dst is None or self.link.proxy.faults.stall:
            return  # not connected yet, or stalled: pump passes it on once it may send
        self.closing = True
        delay = self.link.proxy.faults.slow_close_s
        if delay > 0:
            self.eof_timer = self.link.loop.call_later(delay, self._write_eof)
        else:
            self._write_eof()

    def _write_eof(self) -> None:
        self.eof_timer = None
        if self.link.proxy.faults.stall:  # a stall began during the slow close: the FIN waits for its end
            self.closing = False
            return
        self.done = True
        dst = self.dst
        if dst is not None and not dst.is_closing():
            if dst.can_write_eof():
                dst.write_eof()
            else:
                dst.close()
        self.link.maybe_finished()

    def cancel(self) -> None:
        for timer in (self.timer, self.eof_timer):
            if timer is not None:
                timer.cancel()
        self.timer = self.eof_timer = None
        self.fast = False
        self.queue.clear()
        self.queued = 0

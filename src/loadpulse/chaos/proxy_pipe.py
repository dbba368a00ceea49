"""Data one way through a proxied connection, delayed and paced by the proxy's faults of the moment.

With no fault on, the protocols write each chunk straight through (``Pipe.fast``). With a fault on, a pipe
queues ``(due, chunk)`` pairs and a single timer per pipe (``loop.call_at``) sends the head when it is
due, so chunks keep their order even when jitter would draw a later chunk an earlier time. Bandwidth is a
token bucket per pipe (per direction, per connection), refilled at the rate and holding at most 20 ms of
it (at least one 1,460-byte segment): a limit is a per-connection limit, as toxiproxy's. A queue over
256 KiB pauses reading from the sender until it drains below 64 KiB, so a slow fault never buffers
without bound.
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
        self.queue: deque[tuple[float, bytes]] = deque()
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
        if faults.stall:
            return  # read and discard: the peer sees a connection that never answers
        now = link.loop.time()
        due = now
        if faults.applies(self.flow) and (faults.latency_s or faults.jitter_s):
            jitter = random.uniform(-faults.jitter_s, faults.jitter_s) if faults.jitter_s else 0.0
            due = now + max(0.0, faults.latency_s + jitter)
        self.last_due = due = max(due, self.last_due)
        self.queue.append((due, data))
        self.queued += len(data)
        self.fast = False
        self._hold_src()
        if self.timer is None:
            self.pump()

    def pump(self) -> None:
        """Send every chunk that is due and that the bucket allows; arm the timer for the next one."""
        self.timer = None
        dst = self.dst
        if dst is None or self.dst_full or dst.is_closing():
            return
        loop = self.link.loop
        faults = self.link.proxy.faults
        rate = faults.bandwidth_bps / 8.0 if faults.bandwidth_bps and faults.applies(self.flow) else None
        now = loop.time()
        queue = self.queue
        while queue and not self.dst_full:
            due, data = queue[0]
            if due > now:
                self.timer = loop.call_at(due, self.pump)
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
                    self.timer = loop.call_at(now + wait, self.pump)
                    return
                self.tokens -= n
            else:
                n = len(data)
                self.tokens_at = None
            if n < len(data):
                queue[0] = (due, data[n:])
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
        if not self.src_held and self.src is not None and (self.queued > HIGH_WATER or self.dst_full):
            self.src_held = True
            self.src.pause_reading()

    def _release_src(self) -> None:
        if self.src_held and self.queued < LOW_WATER and not self.dst_full and self.src is not None:
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
        if self.closing or self.dst is None:
            return  # not connected yet: pump passes it on once the upstream is there
        self.closing = True
        delay = self.link.proxy.faults.slow_close_s
        if delay > 0:
            self.eof_timer = self.link.loop.call_later(delay, self._write_eof)
        else:
            self._write_eof()

    def _write_eof(self) -> None:
        self.eof_timer = None
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

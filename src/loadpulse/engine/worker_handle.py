"""What the coordinator of a ``--workers`` run knows of one worker process: its state, its pipe (read by a
thread of its own), what it sent, and its row in the summary."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from loadpulse.metrics.interval_merge import Gauges
from loadpulse.metrics.snapshot import Snapshot

if TYPE_CHECKING:
    from loadpulse.engine.worker_launch import WorkerBody


@dataclass(slots=True, eq=False)
class WorkerHandle:
    """What the coordinator knows of one worker process, and its end of the pipe."""

    index: int
    """1-based, as the warnings and the summary name it."""
    share: float
    process: WorkerBody
    """Its process or Ray actor."""
    conn: Connection
    state: str = "starting"
    """starting -> ready -> running -> done | lost (the summary's row: "starting" and "ready" are a worker
    whose load never started: a run stopped while they set up)"""
    pending: list[Snapshot] = field(default_factory=list)
    gauges: Gauges = field(default_factory=Gauges)
    snaps: int = 0
    last_heard_ns: int = 0
    """When its last message came (set by its reading thread)."""
    eof: bool = False
    """Its pipe ended: every message it sent has been handled."""
    exit_text: str | None = None
    """How its process ended, once it has."""
    reader: threading.Thread | None = None
    requests: int = 0
    iterations: int = 0
    dropped: int = 0
    by_scenario: dict[str, int] = field(default_factory=dict)
    """Its iterations by scenario (the imbalance is judged scenario by scenario)."""
    peak_vus: int = 0
    done: dict[str, Any] | None = None
    error: str | None = None
    lost_at_s: float | None = None
    """When it was last heard (its last message), in s from the start: what it did after is unknown."""
    detected_at_s: float | None = None
    """When the coordinator found it lost (a death at once, silence after 2 intervals)."""
    lost_why: str | None = None
    blocked_said: bool = False
    """Its event loop's being blocked was said (once a blocking episode)."""

    def send(self, message: tuple[Any, ...]) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, EOFError, OSError):
            self.conn.send(message)

    def pending_in_pipe(self) -> bool:
        """Whether a message waits unread (this process was held up, not the worker)."""
        try:
            return self.conn.poll(0)
        except (EOFError, OSError):
            return False

    def listen(
        self, loop: asyncio.AbstractEventLoop, on_message: Callable[[WorkerHandle, Any], None]
    ) -> None:
        """The reading thread's body: every message handed to the event loop as it comes; ``("eof",)``
        last, when the pipe ends (the worker's process is gone or closed it)."""
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                message = ("eof",)
            if message[0] != "eof":  # the pipe's end is how its death is heard, not the worker itself
                self.last_heard_ns = perf_counter_ns()
            try:
                loop.call_soon_threadsafe(on_message, self, message)
            except RuntimeError:  # the loop is closed: the run is over
                return
            if message[0] == "eof":
                return

    def read(self, snap: Snapshot) -> None:
        """One of its snapshots: kept for the next merge, and counted for its row in the summary."""
        self.pending.append(snap)
        self.gauges.read(snap)
        self.snaps += 1
        self.requests += sum(s.requests for s in snap.names.values())
        for name, sc in snap.scenarios.items():
            self.iterations += sc.iterations
            self.by_scenario[name] = self.by_scenario.get(name, 0) + sc.iterations
        self.dropped += snap.dropped
        self.peak_vus = max(self.peak_vus, sum(self.gauges.vus.values()))

    @property
    def load_s(self) -> float:
        return float(self.done["load_s"]) if self.done else 0.0

    @property
    def cpu_pct(self) -> float | None:
        """Its CPU time from the go to its end over that wall time, in % of one core (None until it is
        done): over the load time alone, a run of a few ms would divide the teardown's CPU by almost 0."""
        if not self.done:
            return None
        wall = float(self.done.get("cpu_wall_s") or self.load_s)
        return 100.0 * float(self.done["cpu_s"]) / wall if wall else None

    def row(self) -> dict[str, Any]:
        """Its entry in the summary's ``workers.per_worker``."""
        cpu = self.cpu_pct
        return {
            "index": self.index,
            "state": self.state,
            "requests": self.requests,
            "iterations": self.iterations,
            "dropped": self.dropped,
            "peak_vus": self.peak_vus,
            "cpu_pct": round(cpu, 1) if cpu is not None else None,
            "max_rss_mb": round(int(self.done["max_rss_kb"]) / 1024, 1) if self.done else None,
            "share": round(self.share, 6),
            **({"node": self.process.node, "node_id": self.process.node_id} if self.process.node else {}),
            **(
                {
                    "lost_at_s": round(self.lost_at_s or 0.0, 3),
                    "detected_at_s": round(self.detected_at_s or 0.0, 3),
                    "lost_why": self.lost_why,
                }
                if self.lost_why
                else {}
            ),
        }


def exit_text(code: int | None) -> str:
    """How a process ended, from its exit code."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"

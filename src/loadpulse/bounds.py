"""What one loadpulse process can honour, checked before any load starts.

A run asked for more than a process can do would not fail honestly: a rate of 1e12/s spins the scheduler
forever, 100 million VUs exhaust memory before the first request, and a connection count above the file
descriptor limit turns into a storm of failing connects. Every such request is refused up front with one
line that names the limit. The numbers are per process: scale-out splits a larger load into segments that
each stay within them.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_RATE = 1_000_000.0
"""Arrivals per second one process can schedule (1 µs apart); measured throughput tops out far below."""
MIN_RATE = 0.001
"""One arrival per 1,000 s: anything slower is not a load (and 1e-300/s overflows every schedule)."""
MAX_DURATION_S = 30 * 86_400.0
"""A month: longer is a typo, not a soak test."""
MAX_VUS = 100_000
"""VUs (or connections) one process keeps: each costs ~17 KiB and a socket."""
MAX_IN_FLIGHT = 1_000_000
MAX_H2_STREAMS = 10_000
"""HTTP/2 streams one process keeps in flight (``-c`` x ``--streams-per-connection``). Streams are cheap
to hold but each costs ~30 µs of Python to send and read, and many end in the same loop turn: at 10,000
a turn already takes ~0.3 s (the latency then measures loadpulse's own queue, and a stop waits for the
turn). More is what ``--workers`` is for."""
MAX_REQUESTS = 10**12
FD_RESERVE = 64
"""Descriptors kept for everything that is not a connection (log files, the store, probes, the loop)."""


def check_rate(value: float, what: str = "rate") -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be a finite number above 0 per second, not {value}")
    if value < MIN_RATE:
        raise ValueError(
            f"{what} {value:g}/s is below the smallest rate loadpulse schedules ({MIN_RATE:g}/s)"
        )
    if value > MAX_RATE:
        raise ValueError(
            f"{what} {value:g}/s cannot be honoured: one loadpulse process schedules at most "
            f"{MAX_RATE:,.0f} arrivals/s"
        )
    return value


_PROCESSES: ContextVar[int] = ContextVar("loadpulse_processes", default=1)


@contextmanager
def spread_over(processes: int) -> Iterator[None]:
    """While a whole run that ``processes`` workers will split is described, a per-process count bound
    (``check_count(..., spread=True)``) is that of all of them; each worker's part is then checked
    against one process's."""
    token = _PROCESSES.set(max(1, processes))
    try:
        yield
    finally:
        _PROCESSES.reset(token)


def check_count(value: int, what: str, limit: int, *, spread: bool = False) -> int:
    """``value`` within ``limit``; ``spread``: a per-process limit, for as many processes as the run is
    being spread over (:func:`spread_over`)."""
    processes = _PROCESSES.get() if spread else 1
    if value > limit * processes:
        holders = "one loadpulse process" if processes == 1 else f"{processes:,} loadpulse processes"
        raise ValueError(f"{what} {value:,} is more than {holders} can hold (at most {limit * processes:,})")
    return value


def check_h2_streams(
    connections: int,
    streams: int,
    max_in_flight: int | None,
    *,
    spread: bool,
    part: bool = False,
    requests: int | None = None,
) -> None:
    """An HTTP/2 run's streams in flight within :data:`MAX_H2_STREAMS`: the closed model's ``-c`` x
    ``--streams-per-connection`` (no more than its ``-n`` budget, ``requests``), the open model's
    ``--max-in-flight`` (``max_in_flight`` given); ``part``: a worker's part of a run that the whole's check
    let through."""
    processes = _PROCESSES.get() if spread else 1
    limit = MAX_H2_STREAMS * processes
    keep = "one loadpulse process keeps" if processes == 1 else f"{processes:,} loadpulse processes keep"
    whose = "a worker's part of the load: " if part else ""
    if max_in_flight is not None:
        if max_in_flight > limit:
            raise ValueError(
                f"{whose}--max-in-flight {max_in_flight:,} with --h2 is more HTTP/2 streams than {keep} in "
                f"flight (at most {limit:,}): lower it, or spread the load with --workers"
            )
        return
    if connections * streams <= limit or (requests is not None and requests <= limit):
        return
    if streams > MAX_H2_STREAMS:
        hint = "lower --streams-per-connection (a connection's streams stay in one process)"
    elif part:
        hint = "give -c as a multiple of --workers so the parts are even, or more --workers"
    else:
        hint = "lower -c or --streams-per-connection, or spread the load with --workers"
    raise ValueError(
        f"{whose}-c {connections:,} x {streams:,} streams per connection = {connections * streams:,} HTTP/2 "
        f"streams in flight, more than {keep} (at most {limit:,}): {hint}"
    )


def check_seconds(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite duration, not {value}")
    if value > MAX_DURATION_S:
        raise ValueError(f"{what} {value:g} s is longer than loadpulse runs (at most 30 days)")
    return value


def check_fd_limit(wanted: int, what: str) -> None:
    """Make room for ``wanted`` descriptors: raise the soft limit up to the hard one, else refuse.

    Raises ValueError naming ``what`` (e.g. '-c 1015') and the limit, before any connection is opened.
    """
    need = wanted + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        raise ValueError(
            f"{what} needs about {need:,} file descriptors but this process may open at most {hard:,} "
            f"(ulimit -n); raise the limit or ask for fewer connections"
        )
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    except (ValueError, OSError) as exc:
        raise ValueError(
            f"{what} needs about {need:,} file descriptors; the limit is {soft:,} "
            f"and raising it failed: {exc}"
        ) from None


def fd_room() -> int:
    """How many connections the hard descriptor limit leaves room for."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return MAX_IN_FLIGHT
    return max(1, hard - FD_RESERVE)

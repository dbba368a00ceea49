"""What a protocol gives the scenario engine: one small session interface, whatever goes over the wire.

A protocol (HTTP/1.1 today; WebSocket, HTTP/2, gRPC, timed Python blocks next) is a *session* shared by
every VU of a run, and one *client* per VU, which user code reaches as ``ctx.<protocol name>``. The engine
only ever sees this interface: it opens sessions through :mod:`loadpulse.protocols.registry` by name,
counts their in-flight requests and connections for the progress line, and closes them at the end.
Measurements go through the run's :class:`~loadpulse.metrics.recorder.Recorder`, which a session is
given when it is opened; nothing else about a protocol reaches the engine or the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from loadpulse.clock import REAL_CLOCK, Clock
from loadpulse.metrics.recorder import Recorder

NAME_CACHE_MAX = 2048
"""How many request names a VU's client keeps the recorder of at hand: twice the recorder's cap on distinct
names, so every name with an entry of its own is cached, and a script inventing a name per request (a URL
per item) costs one lookup each instead of memory without bound."""


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """What a run says to every protocol; each takes what applies to it."""

    base_url: str | None = None
    """Where relative addresses go (``--base-url`` or ``base_url`` in the file)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every request of every VU, where the protocol has headers."""
    connect_timeout_s: float = 5.0
    timeout_s: float = 10.0
    insecure: bool = False
    """Skip TLS certificate verification."""
    warnings: list[str] = field(default_factory=list)
    """Where a session says what the user must hear at the end of the run (said once each)."""
    clock: Clock = REAL_CLOCK
    """What timeouts and timings read (a virtual clock in tests)."""
    http2: bool = False
    """HTTP requests go over HTTP/2 unless they say otherwise (``http2 = True`` in the scenario file)."""


class ProtocolSession(Protocol):
    """Shared by every VU of a run. Built as ``factory(settings, recorder)`` (see the registry)."""

    async def prepare(self) -> None:
        """Check the settings against the world before the load starts (resolve names, load certs):
        a problem here is the user's input, raised as :class:`~loadpulse.errors.BadInput`."""

    def start(self) -> None:
        """Called on the running loop when the load starts (start timers, watchdogs)."""

    def client(self) -> Any:
        """A new client for one VU: what user code gets as ``ctx.<name>``.

        The engine looks a client's optional hooks up by name, so a client defines only what it needs:
        ``intended_ns`` (attribute: the intended start of the iteration, set before each open-model
        iteration; the next request's latency counts from it, the coordinated-omission correction),
        ``async warm()`` (connect before the clock starts) and ``close()`` (the VU retires)."""

    def in_flight(self) -> int:
        """Requests sent and not yet answered, for the progress line and the snapshot."""

    def connection_count(self) -> int:
        """Open connections (0 for protocols without any)."""

    def close(self) -> None:
        """Stop everything: requests still in flight end as ``unfinished``/``timeout`` failures."""


class SessionFactory(Protocol):
    def __call__(self, settings: SessionSettings, recorder: Recorder) -> ProtocolSession: ...

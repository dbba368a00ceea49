"""A fault-injecting TCP proxy on loopback (interface; the implementation follows)."""

from __future__ import annotations

from dataclasses import dataclass

from loadpulse.faults.proxy_faults import NO_FAULTS, ProxyFaults


class ProxyError(Exception):
    """The proxy cannot start: its port is in use or the upstream does not answer."""


@dataclass(frozen=True)
class ProxyStats:
    """Counters since start; bytes are what reached the other side."""

    connections: int = 0
    open: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    resets: int = 0
    drops: int = 0
    stalled: int = 0


class FaultProxy:
    """Forwards every connection on ``listen`` to ``upstream``, injecting the faults applied now."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], name: str = "proxy") -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.faults: ProxyFaults = NO_FAULTS

    @property
    def address(self) -> tuple[str, int]:
        return self.listen

    async def start(self) -> None:
        """Binds and checks the upstream answers a TCP connect within 2 s; ``ProxyError`` otherwise."""

    async def close(self) -> None:
        """Stops listening and closes every connection."""

    def apply(self, faults: ProxyFaults) -> None:
        """Injects ``faults`` from now on, in open connections too (none is dropped by the change)."""
        self.faults = faults

    def clear(self) -> None:
        self.apply(NO_FAULTS)

    def reset_all(self) -> int:
        """Resets (RST) every open connection now; returns how many."""
        return 0

    def stats(self) -> ProxyStats:
        return ProxyStats()

"""A fault-injecting TCP proxy on loopback: between loadpulse and the target, or the target and its database.

Used in-process (the run's fault timeline applies faults at their moment) or standalone (``loadpulse
proxy``, with an HTTP control API). It runs on whatever loop it is started in: the CLI and the engine
start uvloop where it is installed. Faults change at run time without dropping open connections; see
``proxy_pipe`` (latency, jitter, bandwidth, slow close) and ``proxy_link`` (resets, drops, stalls) for how.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from dataclasses import dataclass
from typing import Literal

from loadpulse.chaos.proxy_link import ClientSide, Link
from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import NO_FAULTS, ProxyFaults

UPSTREAM_CHECK_S = 2.0


class ProxyError(BadInput):
    """The proxy cannot start: its port is in use or the upstream does not answer."""


@dataclass(frozen=True)
class ProxyStats:
    """Counters since start; bytes are what was passed on to the other side."""

    connections: int = 0
    open: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    resets: int = 0
    drops: int = 0
    stalled: int = 0
    upstream_failures: int = 0


class FaultProxy:
    """Forwards every connection on ``listen`` to ``upstream``, injecting the faults applied now."""

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], name: str = "proxy") -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.faults: ProxyFaults = NO_FAULTS
        # Read on every chunk (Pipe.feed): whether a flow may skip the fault path entirely.
        self.passthrough: dict[Literal["up", "down"], bool] = {"up": True, "down": True}
        self.links: set[Link] = set()
        self.connections = self.resets = self.drops = self.stalled = self.upstream_failures = 0
        self._closed_up = self._closed_down = 0
        self._reset_credit = self._drop_credit = 0.0
        self._server: asyncio.Server | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port once started with port 0."""
        if self._server is None or not self._server.sockets:
            return self.listen
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Binds and checks the upstream answers a TCP connect within 2 s; ``ProxyError`` otherwise."""
        loop = asyncio.get_running_loop()
        self.upstream = await _answering(self.upstream, self.name)
        host, port = self.listen
        try:
            self._server = await loop.create_server(
                lambda: ClientSide(self), host, port, reuse_address=True, backlog=1024
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ProxyError(
                    f"{self.name}: cannot listen on {host}:{port}: the port is in use; pick another "
                    "(0 = any free port)"
                ) from None
            raise ProxyError(f"{self.name}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None

    async def close(self) -> None:
        """Stops listening and closes every connection (with a RST: the proxy is gone)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in list(self.links):
            link.reset()
        if server is not None:
            await server.wait_closed()

    def apply(self, faults: ProxyFaults) -> None:
        """Injects ``faults`` from now on, in open connections too (none is dropped by the change).

        A reset share also picks open connections, each reset at its next chunk of data; ending a stall
        resets the connections accepted during it (they were never connected upstream, and the data they
        sent was discarded) and sends on what open connections held during it. Data already queued is
        rescheduled by the new latency (see ``Pipe.reschedule``).
        """
        before, self.faults = self.faults, faults
        self.passthrough = {
            flow: not faults.stall and not (faults.shapes and faults.applies(flow)) for flow in ("up", "down")
        }
        timing_changed = (before.latency_s, before.jitter_s, before.direction) != (
            faults.latency_s,
            faults.jitter_s,
            faults.direction,
        )
        for link in list(self.links):
            if faults.reset_share <= 0:
                link.doomed = False
            elif not link.doomed and not link.stalled and faults.reset_share != before.reset_share:
                link.doomed = self.draw_reset()
            if before.stall and not faults.stall and link.stalled:
                link.reset()
                continue
            for pipe in (link.up, link.down):
                pipe.refresh()
                if not link.closed:
                    pipe.reschedule(timing_changed)

    def clear(self) -> None:
        self.apply(NO_FAULTS)

    def reset_all(self) -> int:
        """Resets (RST) every open connection now; returns how many."""
        links = list(self.links)
        for link in links:
            link.reset()
        self.resets += len(links)
        return len(links)

    def stats(self) -> ProxyStats:
        return ProxyStats(
            connections=self.connections,
            open=len(self.links),
            bytes_up=self._closed_up + sum(link.up.sent for link in self.links),
            bytes_down=self._closed_down + sum(link.down.sent for link in self.links),
            resets=self.resets,
            drops=self.drops,
            stalled=self.stalled,
            upstream_failures=self.upstream_failures,
        )

    # Called by the links.

    def opened(self, link: Link) -> None:
        self.connections += 1
        self.links.add(link)

    def finished(self, link: Link) -> None:
        if link in self.links:
            self.links.discard(link)
            self._closed_up += link.up.sent
            self._closed_down += link.down.sent

    def draw_reset(self) -> bool:
        """Exactly a share of connections, spread evenly (every 20th for 5 %), not a coin toss: a short run
        sees the share it asked for."""
        self._reset_credit, picked = _draw(self._reset_credit, self.faults.reset_share)
        return picked

    def draw_drop(self) -> bool:
        self._drop_credit, picked = _draw(self._drop_credit, self.faults.drop_share)
        return picked


def _draw(credit: float, share: float) -> tuple[float, bool]:
    if share <= 0:
        return 0.0, False
    credit += share
    if credit >= 1.0 - 1e-9:
        return credit - 1.0, True
    return credit, False


async def _answering(upstream: tuple[str, int], name: str) -> tuple[str, int]:
    """The upstream's address, resolved once (a name would be looked up on every connection), after one
    TCP connect within 2 s proved something listens there."""
    host, port = upstream
    loop = asyncio.get_running_loop()
    where = f"{host}:{port}"
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), UPSTREAM_CHECK_S
        )
        ip, real_port = str(infos[0][4][0]), int(infos[0][4][1])
        _, writer = await asyncio.wait_for(asyncio.open_connection(ip, real_port), UPSTREAM_CHECK_S)
    except TimeoutError:
        raise ProxyError(
            f"{name}: upstream {where} does not answer a TCP connect within {UPSTREAM_CHECK_S:g}s; "
            "start it first"
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ProxyError(f"{name}: upstream {where} does not answer ({reason}); start it first") from None
    writer.close()
    return ip, real_port

"""WebSocket as a protocol session (``ctx.ws``): the run's connections, counters and warnings.

Messages and bytes each way are custom counters and the gaps between pushed messages a custom trend, fed
straight into the run's metrics recorder (the same buffers ``ctx.counter`` and ``ctx.trend`` fill), so
reports, thresholds, history and the merge across workers carry them like any user metric.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from array import array
from time import perf_counter_ns
from typing import Any

from loadpulse.metrics import protocol_metrics
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.connect import make_ssl_context
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.ws import connection
from loadpulse.protocols.ws.client import WsClient
from loadpulse.protocols.ws.connection import WsConnection
from loadpulse.protocols.ws.endings import Endings

MSGS_SENT = protocol_metrics.WS_MSGS_SENT
MSGS_RECEIVED = protocol_metrics.WS_MSGS_RECEIVED
BYTES_SENT = protocol_metrics.WS_BYTES_SENT
BYTES_RECEIVED = protocol_metrics.WS_BYTES_RECEIVED
PUSH_GAP = protocol_metrics.WS_PUSH_GAP_MS
COUNTERS = (MSGS_SENT, MSGS_RECEIVED, BYTES_SENT, BYTES_RECEIVED)
SWEEP_S = 0.05
"""How often requests are checked for their timeout."""
MAX_HOSTS = 256
"""Resolved host:port pairs kept per run; a script inventing hosts resolves the rest on each connect."""
MAX_WARNED = 20
"""Distinct connect failures described in the warnings; the rest are in the error counts only."""


class WsProtocol:
    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        self.settings = settings
        self.recorder = recorder
        self.opened: set[WsConnection] = set()
        self.waiting: set[WsConnection] = set()
        """Connections with requests awaiting replies (some may have none left: the sweeper drops them)."""
        self.timeout_ns = int(settings.timeout_s * 1e9)
        self.loop: asyncio.AbstractEventLoop | None = None
        """The run's loop, known from the first connect on (every request comes after one)."""
        self._sweeper: asyncio.Task[None] | None = None
        self.closing = False
        """The run is over: what ends now is the run's doing, not the server's."""
        self.unread_dropped = 0
        """Messages dropped unread from a full inbox (:data:`.connection.INBOX_MAX`, ``INBOX_BYTES``)."""
        self.endings = Endings()
        """How connections ended under an error kind, told in the warnings at the end."""
        self._ssl: ssl.SSLContext | None = None
        self._warned: set[tuple[str, str]] = set()
        self._addresses: dict[tuple[str, int], list[tuple[int, int, int, tuple[Any, ...]]]] = {}
        metrics = recorder.metrics
        for counter in COUNTERS:
            metrics.declare(counter, "counter")
        metrics.declare(PUSH_GAP, "trend")
        # The recorder's own dict and buffer, emptied in place at each cut (never replaced): updated here
        # per message without a call into it.
        self._counters = metrics.counters
        gaps = metrics.trends.get(PUSH_GAP)
        if gaps is None:
            gaps = array("d")
            if PUSH_GAP in metrics.kinds:  # not grouped away past the cap on custom metrics
                metrics.trends[PUSH_GAP] = gaps
        self.gaps = gaps

    async def prepare(self) -> None:
        pass

    def start(self) -> None:
        pass

    def client(self) -> WsClient:
        return WsClient(self)

    def in_flight(self) -> int:
        return sum(conn.pending_count for conn in self.waiting)

    def connection_count(self) -> int:
        return len(self.opened)

    def close(self) -> None:
        self.closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._tell_left_open()
        for conn in list(self.opened):
            conn.abort()
        self.settings.warnings.extend(self.endings.warnings())
        if self.unread_dropped:
            mib = connection.INBOX_BYTES // 1024 // 1024
            self.settings.warnings.append(
                f"{self.unread_dropped:,} WebSocket messages were dropped unread: a connection keeps the "
                f"last {connection.INBOX_MAX:,} unread messages ({mib} MiB at most); recv() them, or let "
                "them go if only their gaps matter"
            )

    def _tell_left_open(self) -> None:
        """One warning for connections the scripts opened and never closed, beyond the one per VU a script
        may keep between iterations (``ctx.vu.state``): named by where they were opened."""
        by_site: dict[str, tuple[int, set[int]]] = {}
        for conn in self.opened:
            if conn.opened_at is not None:
                count, clients = by_site.get(conn.opened_at, (0, set()))
                clients.add(id(conn.client))
                by_site[conn.opened_at] = (count + 1, clients)
        left = {site: count - len(clients) for site, (count, clients) in by_site.items()}
        left = {site: n for site, n in sorted(left.items(), key=lambda kv: -kv[1]) if n > 0}
        if left:
            sites = ", ".join(f"{n:,} at {site}" for site, n in list(left.items())[:3])
            self.settings.warnings.append(
                f"{sum(left.values()):,} WebSocket connections were left open by the script ({sites}): "
                "opened with ws = await ctx.ws.connect(...) and never closed, beyond one per VU; "
                "close them (await ws.close()) or use async with ctx.ws.connect(...) as ws"
            )

    def watch(self, conn: WsConnection) -> None:
        """``conn`` has a request waiting: its timeout is checked from now on."""
        self.waiting.add(conn)
        if self._sweeper is None and self.loop is not None:
            self._sweeper = self.loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        # One timer for every request of the run instead of one per request (a third of a round trip's
        # cost): a timeout is noticed up to SWEEP_S late, and recorded at the moment it was noticed.
        while not self.closing:
            await asyncio.sleep(SWEEP_S)
            now = perf_counter_ns()
            for conn in list(self.waiting):
                if not conn.expire(now):
                    self.waiting.discard(conn)

    async def addresses(self, host: str, port: int) -> list[tuple[int, int, int, tuple[Any, ...]]]:
        """Where ``host:port`` connects: resolved once per run (DNS stays off the connect path)."""
        key = (host, port)
        found = self._addresses.get(key)
        if found is None:
            assert self.loop is not None, "a connect sets the loop"
            infos = await self.loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found = [(family, kind, proto, addr) for family, kind, proto, _, addr in infos]
            if len(self._addresses) < MAX_HOSTS:
                self._addresses[key] = found
        return found

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = make_ssl_context(self.settings.insecure)
        return self._ssl

    def count_in(self, size: int) -> None:
        counters = self._counters
        counters[MSGS_RECEIVED] = counters.get(MSGS_RECEIVED, 0.0) + 1
        counters[BYTES_RECEIVED] = counters.get(BYTES_RECEIVED, 0.0) + size

    def count_out(self, size: int) -> None:
        counters = self._counters
        counters[MSGS_SENT] = counters.get(MSGS_SENT, 0.0) + 1
        counters[BYTES_SENT] = counters.get(BYTES_SENT, 0.0) + size

    def warn_once(self, kind: str, url: str, detail: str) -> None:
        key = (kind, url)
        if key in self._warned or len(self._warned) >= MAX_WARNED:
            return
        self._warned.add(key)
        self.settings.warnings.append(f"{kind} connecting to {url}: {detail}")

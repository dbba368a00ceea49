"""One proxied connection: the client side, the upstream side, and the two pipes between them.

asyncio Protocols, not streams: this is a throughput path (the proxy sits between the load generator and
the target), and a Protocol hands each chunk straight to the other transport with no reader task, no
buffer copy and no await per chunk. With no fault on, a chunk costs one flag check and one
``transport.write``; backpressure is the transports' own (``pause_writing`` on one side pauses reading on
the other). How faults act on the bytes is in ``proxy_pipe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import TYPE_CHECKING, cast

from loadpulse.chaos.proxy_pipe import Flow, Pipe, timer_slack

if TYPE_CHECKING:
    from loadpulse.chaos.proxy import FaultProxy

CONNECT_TIMEOUT_S = 5.0


def abort_with_rst(transport: asyncio.BaseTransport | None) -> None:
    """Close with a TCP RST, not a FIN: SO_LINGER 0 then close is how a real peer resets."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()  # type: ignore[attr-defined]


class Link:
    """A client connection and its upstream connection, or a client alone when stalled or dropped."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.timer_slack = timer_slack(self.loop)
        self.client: asyncio.Transport | None = None
        self.upstream: asyncio.Transport | None = None
        self.up = Pipe(self, "up")
        self.down = Pipe(self, "down")
        self.doomed = False  # picked for a reset at its next chunk (reset share)
        self.stalled = False  # accepted during a stall: never connected upstream
        self.closed = False
        self._connecting: asyncio.Task[None] | None = None

    def accepted(self, transport: asyncio.Transport) -> None:
        proxy = self.proxy
        self.client = transport
        self.up.src = self.down.dst = transport
        proxy.opened(self)
        faults = proxy.faults
        if proxy.draw_drop():
            proxy.drops += 1
            self.reset()
            return
        if faults.stall:
            self.stalled = True
            proxy.stalled += 1
            return
        self.doomed = proxy.draw_reset()
        transport.pause_reading()  # nothing to forward to until upstream answers
        self._connecting = self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        host, port = self.proxy.upstream
        try:
            await asyncio.wait_for(
                self.loop.create_connection(lambda: UpstreamSide(self), host, port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            self.proxy.upstream_failures += 1
            self.reset()

    def upstream_made(self, transport: asyncio.Transport) -> None:
        if self.closed:
            abort_with_rst(transport)
            return
        self.upstream = transport
        self.up.dst = self.down.src = transport
        self.up.refresh()
        self.down.refresh()
        client = self.client
        if client is not None and not client.is_closing() and not self.up.src_held:
            client.resume_reading()
        if self.up.queue or self.up.eof:
            self.up.pump()

    def reset(self) -> None:
        """RST both sides now."""
        abort_with_rst(self.client)
        abort_with_rst(self.upstream)
        self._finish()

    def lost(self, side: Flow, exc: Exception | None) -> None:
        """One side is gone: a reset is passed on as a reset, a close after the other side's queue."""
        if self.closed:
            return
        if exc is not None:
            self.reset()
            return
        (self.up if side == "up" else self.down).end()
        other = self.upstream if side == "up" else self.client
        if other is not None and not other.is_closing():
            pipe = self.up if side == "up" else self.down
            if pipe.done and not pipe.queue:
                other.close()
        self.maybe_finished()

    def maybe_finished(self) -> None:
        if self.closed:
            return
        client_gone = self.client is None or self.client.is_closing()
        upstream_gone = self.upstream is None or self.upstream.is_closing()
        if (self.up.done and self.down.done) or (client_gone and upstream_gone):
            for t in (self.client, self.upstream):
                if t is not None and not t.is_closing():
                    t.close()
            self._finish()
        elif self.stalled and client_gone:
            self._finish()

    def _finish(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.up.cancel()
        self.down.cancel()
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        self.proxy.finished(self)


class ClientSide(asyncio.Protocol):
    """The accepted connection from the client (the load generator, or the target for its database)."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.link = Link(proxy)
        self.pipe = self.link.up

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it: no isinstance check.
        self.link.accepted(cast(asyncio.Transport, transport))

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        if pipe.fast:  # no fault on: one check and one write per chunk (the throughput path)
            pipe.sent += len(data)
            pipe.dst.write(data)  # type: ignore[union-attr]  # fast implies connected
        else:
            pipe.feed(data)

    def eof_received(self) -> bool:
        if self.link.stalled:
            return False
        self.link.up.end()
        return True  # half-close: the upstream may still answer

    def connection_lost(self, exc: Exception | None) -> None:
        link = self.link
        if link.stalled:
            link.maybe_finished()
            return
        link.lost("up", exc)

    def pause_writing(self) -> None:
        self.link.down.dst_paused()

    def resume_writing(self) -> None:
        self.link.down.dst_resumed()


class UpstreamSide(asyncio.Protocol):
    """The connection to the upstream made for one client connection."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.pipe = link.down

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.link.upstream_made(cast(asyncio.Transport, transport))

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        if pipe.fast:
            pipe.sent += len(data)
            pipe.dst.write(data)  # type: ignore[union-attr]  # fast implies connected
        else:
            pipe.feed(data)

    def eof_received(self) -> bool:
        self.link.down.end()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.lost("down", exc)

    def pause_writing(self) -> None:
        self.link.up.dst_paused()

    def resume_writing(self) -> None:
        self.link.up.dst_resumed()

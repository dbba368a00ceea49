"""A loopback HTTP target with a known capacity: it answers at most RATE requests a second, one every
1/RATE s, and queues the rest (so latency grows without bound above RATE), each answer then held DELAY ms
more without queueing. A request whose connection closed while queued is skipped, so an abandoned step
leaves no backlog for the next.

Run as ``python -m tests.capacity.bucket_server PORT RATE [DELAY_MS]``; prints ``ready`` once listening.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import cast

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Bucket:
    def __init__(self, rate: float, delay_s: float) -> None:
        self.interval = 1.0 / rate
        self.delay_s = delay_s
        self.queue: asyncio.Queue[asyncio.Transport] = asyncio.Queue()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        due = time.perf_counter()
        while True:
            if self.queue.empty():
                transport = await self.queue.get()
                due = max(due, time.perf_counter())  # no burst after an idle spell
            else:
                # Busy: answers keep their schedule, so a wake-up delayed by a loaded machine is caught
                # up on rather than lowering the capacity.
                transport = self.queue.get_nowait()
            if transport.is_closing():
                continue
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            due += self.interval
            if self.delay_s:
                loop.call_later(self.delay_s, _answer, transport)
            else:
                _answer(transport)


def _answer(transport: asyncio.Transport) -> None:
    if not transport.is_closing():
        transport.write(RESPONSE)


class Conn(asyncio.Protocol):
    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        # GET requests only: each one ends with an empty line.
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            self.buf = self.buf[end + 4 :]
            assert self.transport is not None
            self.bucket.queue.put_nowait(self.transport)


async def main(port: int, rate: float, delay_ms: float) -> None:
    bucket = Bucket(rate, delay_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Conn(bucket), "127.0.0.1", port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await bucket.serve()


if __name__ == "__main__":
    import uvloop

    args = sys.argv[1:]
    uvloop.run(main(int(args[0]), float(args[1]), float(args[2]) if len(args) > 2 else 0.0))

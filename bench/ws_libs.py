"""Which WebSocket library ``ctx.ws`` stands on: picows against websockets, on this machine.

    .venv/bin/python bench/ws_libs.py [--seconds 5] [--conns 10] [--idle 2000]

The lean picows echo server (tests/protocols/ws/lean_server.py) runs pinned to core 0, each client arm
alone pinned to core 1 (``taskset``), one after the other against the same server. Two figures per arm:
request/reply messages/s (``--conns`` connections, each sending a message and awaiting its echo in a
loop, for ``--seconds``) and the memory one idle connection costs the client (RSS growth over ``--idle``
open connections, divided by their number). Arms: picows' own listener API (the library's ceiling),
loadpulse's ``ctx.ws`` on picows (what scenarios get), and websockets' asyncio client. wsproto is not
measured: it is sans-I/O, so its speed would be that of the I/O loop written around it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "protocols" / "ws" / "lean_server.py"
MESSAGE = "x" * 32


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def picows_arm(url: str, seconds: float, conns: int, idle: int) -> dict[str, Any]:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    class Client(WSListener):
        def __init__(self) -> None:
            self.waiter: asyncio.Future[bytes] | None = None

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type is WSMsgType.TEXT and self.waiter is not None:
                self.waiter.set_result(frame.get_payload_as_bytes())

    async def loop_one(deadline: float) -> int:
        transport, listener = await ws_connect(Client, url)
        client = cast(Client, listener)
        n = 0
        payload = MESSAGE.encode()
        loop = asyncio.get_running_loop()
        while time.perf_counter() < deadline:
            client.waiter = loop.create_future()
            transport.send(WSMsgType.TEXT, payload)
            await client.waiter
            n += 1
        transport.disconnect()
        return n

    async def open_idle() -> Any:
        transport, _ = await ws_connect(WSListener, url, read_buffer_init_size=2048)
        return transport

    return await _measure(loop_one, open_idle, seconds, conns, idle)


async def loadpulse_arm(url: str, seconds: float, conns: int, idle: int) -> dict[str, Any]:
    from loadpulse.metrics.recorder import Recorder
    from loadpulse.protocols.session import SessionSettings
    from loadpulse.protocols.ws.plugin import WsProtocol

    session = WsProtocol(SessionSettings(), Recorder())

    async def loop_one(deadline: float) -> int:
        ws = await session.client().connect(url)
        n = 0
        while time.perf_counter() < deadline:
            await ws.request(MESSAGE)
            n += 1
        await ws.close()
        return n

    async def open_idle() -> Any:
        return await session.client().connect(url)

    return await _measure(loop_one, open_idle, seconds, conns, idle)


async def websockets_arm(url: str, seconds: float, conns: int, idle: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    async def loop_one(deadline: float) -> int:
        async with connect(url, compression=None) as ws:
            n = 0
            while time.perf_counter() < deadline:
                await ws.send(MESSAGE)
                await ws.recv()
                n += 1
            return n

    async def open_idle() -> Any:
        return await connect(url, compression=None, ping_interval=None)

    return await _measure(loop_one, open_idle, seconds, conns, idle)


async def _measure(loop_one: Any, open_idle: Any, seconds: float, conns: int, idle: int) -> dict[str, Any]:
    start = time.perf_counter()
    counts = await asyncio.gather(*(loop_one(start + seconds) for _ in range(conns)))
    rate = sum(counts) / (time.perf_counter() - start)
    gc.collect()
    before = rss_kib()
    keep = []
    for _ in range(idle // 100):
        keep.extend(await asyncio.gather(*(open_idle() for _ in range(100))))
    gc.collect()
    per_conn = (rss_kib() - before) * 1024 / len(keep)
    return {"msgs_per_s": round(rate), "bytes_per_idle_conn": round(per_conn)}


ARMS = {"picows": picows_arm, "loadpulse": loadpulse_arm, "websockets": websockets_arm}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--conns", type=int, default=10)
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--arm", choices=sorted(ARMS), help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.arm:  # one arm, in its own pinned process
        import uvloop

        result = uvloop.run(ARMS[args.arm](args.url, args.seconds, args.conns, args.idle))
        print(json.dumps(result))
        return
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"ws://127.0.0.1:{server.stdout.readline().split()[-1]}/echo"
        print(f"{'arm':<12} {'msgs/s':>10} {'bytes/idle conn':>16}")
        for arm in ARMS:
            out = subprocess.run(
                ["taskset", "-c", "1", sys.executable, __file__, "--arm", arm, "--url", url,
                 "--seconds", str(args.seconds), "--conns", str(args.conns), "--idle", str(args.idle)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{arm:<12} {r['msgs_per_s']:>10,} {r['bytes_per_idle_conn']:>16,}", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

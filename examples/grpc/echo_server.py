"""A small gRPC server for docs/grpc.md, the tests and bench/grpc_vs_anchors.py: echo.proto's Echo service.

    python examples/grpc/echo_server.py --port 50051      # prints "listening on 127.0.0.1:50051"

Built from echo.proto at start (no generated code), on grpc.aio. Say echoes (after ``delay_ms``, or
aborts with the status named in ``fail``), Add adds, Feed streams ``count`` items ``interval_ms`` apart.
Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc

from loadpulse.protocols.grpc.protos import compile_protos

PROTO = Path(__file__).with_name("echo.proto")
SERVICE = "loadpulse.echo.Echo"


def handlers() -> Any:
    protos = compile_protos([str(PROTO)])
    say, add, feed = (protos.method(f"{SERVICE}/{m}") for m in ("Say", "Add", "Feed"))

    async def on_say(req: Any, ctx: grpc.aio.ServicerContext) -> Any:
        if req.delay_ms:
            await asyncio.sleep(req.delay_ms / 1000)
        if req.fail:
            await ctx.abort(grpc.StatusCode[req.fail], f"asked to fail with {req.fail}")
        return say.response(text=req.text)

    async def on_add(req: Any, ctx: grpc.aio.ServicerContext) -> Any:
        return add.response(sum=req.a + req.b)

    async def on_feed(req: Any, ctx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        for seq in range(req.count):
            if seq and req.interval_ms:
                await asyncio.sleep(req.interval_ms / 1000)
            yield feed.response(seq=seq)
        if req.fail:
            await ctx.abort(grpc.StatusCode[req.fail], f"asked to fail with {req.fail}")

    def unary(fn: Any, m: Any) -> Any:
        return grpc.unary_unary_rpc_method_handler(fn, m.request.FromString, m.response.SerializeToString)

    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Say": unary(on_say, say),
            "Add": unary(on_add, add),
            "Feed": grpc.unary_stream_rpc_method_handler(
                on_feed, feed.request.FromString, feed.response.SerializeToString
            ),
        },
    )


async def serve(port: int) -> None:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handlers(),))
    try:
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
    except RuntimeError:
        sys.exit(f"echo_server: cannot listen on 127.0.0.1:{port} (in use?); --port 0 takes a free one")
    await server.start()
    print(f"listening on 127.0.0.1:{bound}", flush=True)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=50051, help="0 for any free port (printed)")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

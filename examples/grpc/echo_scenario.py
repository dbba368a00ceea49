"""ctx.grpc against examples/grpc/echo_server.py: unary calls and a server stream (docs/grpc.md).

python examples/grpc/echo_server.py --port 50051 &
loadpulse run examples/grpc/echo_scenario.py -d 5s --vus 20 -e GRPC_TARGET=127.0.0.1:50051
"""

from loadpulse import load_protos, task

echo = load_protos("echo.proto")  # compiled once per process, from this file's folder
thresholds = ["errors.rate < 1%", "grpc_stream_gap_ms.p95 < 50"]


@task(weight=8)
async def say(ctx):
    r = await ctx.grpc(ctx.env.get("GRPC_TARGET", "127.0.0.1:50051"), echo).call("Echo/Say", {"text": "hi"})
    ctx.check(r.ok and r.message.text == "hi", "echoed")


@task(weight=1)
async def add(ctx):
    r = await ctx.grpc(ctx.env.get("GRPC_TARGET", "127.0.0.1:50051"), echo).call("Echo/Add", {"a": 2, "b": 3})
    ctx.check(r.json().get("sum") == "5", "added")  # int64 is a string in protobuf's JSON mapping


@task(weight=1)
async def feed(ctx):
    async for _item in ctx.grpc(ctx.env.get("GRPC_TARGET", "127.0.0.1:50051"), echo).stream(
        "Echo/Feed", {"count": 5, "interval_ms": 2}
    ):
        pass

"""gRPC as a protocol: ``ctx.grpc(target, protos)`` for unary and server-streaming calls (docs/grpc.md).

    from loadpulse import load_protos
    echo = load_protos("echo.proto", include=["protos"])   # compiled once, paths from this file's folder

    @task
    async def say(ctx):
        r = await ctx.grpc("127.0.0.1:50051", echo).call("Echo/Say", {"text": "hi"})
        ctx.check(r.ok, "said")

Nothing here imports grpc until a scenario uses it (it is the ``loadpulse[grpc]`` extra).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from loadpulse.errors import BadInput
from loadpulse.protocols.grpc.protos import Method, Protos, compile_protos, protos_of_modules

__all__ = [
    "ONE_LINER_ENV",
    "ONE_LINER_METHOD_ENV",
    "ONE_LINER_URL_ENV",
    "Method",
    "Protos",
    "compile_protos",
    "load_protos",
    "protos_of_modules",
]

ONE_LINER_ENV = "LOADPULSE_GRPC"
"""The env entry that carries a `loadpulse grpc` call to its built-in scenario; a plan with it is the
one-liner's, whose VUs share one channel per process (no file descriptor of their own)."""
ONE_LINER_URL_ENV = "LOADPULSE_GRPC_URL"
ONE_LINER_METHOD_ENV = "LOADPULSE_GRPC_METHOD"
"""The one-liner's ``grpc://host:port`` and method (``package.Service/Method``), for the summary's
``target``."""


def load_protos(*files: str, include: Sequence[str] = ()) -> Protos:
    """``.proto`` files compiled for ``ctx.grpc``, at the scenario's load time. Relative paths (files and
    ``include`` folders) are taken from the folder of the file that calls this; a problem is bad input at
    ``file:line`` of that call."""
    caller = sys._getframe(1)
    source = caller.f_globals.get("__file__")
    base = str(Path(source).resolve().parent) if isinstance(source, str) else None
    try:
        return compile_protos(files, include, base)
    except BadInput as exc:
        if source is None:
            raise
        raise BadInput(f"{source}:{caller.f_lineno}: {exc}") from None

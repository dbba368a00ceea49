"""The scenario `loadpulse grpc` runs: one call per iteration, described by ``ctx.env["LOADPULSE_GRPC"]``.

The one-liner writes a two-line scenario file (:func:`source`: this module's task, and a profile whose
graceful stop is ``--grace``) and runs it by path like a user's, so it crosses to ``--workers`` processes
and Ray actors the way any scenario does (a PlanRef: the file's path and the command line's options). The
call travels as plain data in the options' env: target, method, the request as JSON, and the compiled
protos as a serialized FileDescriptorSet, so a worker needs neither the .proto files nor protoc.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from loadpulse.protocols.grpc import ONE_LINER_ENV
from loadpulse.protocols.grpc.metadata import checked_metadata
from loadpulse.protocols.grpc.protos import Protos
from loadpulse.scenario.api import task

ENV = ONE_LINER_ENV


_prepared: dict[str, Any] = {}


def source(grace_s: float) -> str:
    """The scenario file of one run of the one-liner."""
    return (
        '"""Written by `loadpulse grpc` for one run."""\n\n'
        "from loadpulse.cli.grpc_scenario import grpc_call  # noqa: F401\n\n"
        f'profile = {{"profile": "constant-vus", "graceful_stop": {grace_s!r}}}\n'
    )


def describe(
    target: str,
    method: str,
    data: str,
    protos: Protos,
    name: str,
    metadata: list[list[str]],
    max_message_bytes: int | None = None,
) -> str:
    """The env value this scenario reads."""
    return json.dumps(
        {
            "target": target,
            "method": method,
            "data": data,
            "protos": base64.b64encode(protos.descriptor_set).decode("ascii"),
            "origin": protos.origin,
            "name": name,
            "metadata": metadata,
            "max_message_bytes": max_message_bytes,
        }
    )


def _prepare(text: str) -> dict[str, Any]:
    d = json.loads(text)
    protos = Protos(base64.b64decode(d["protos"]), d["origin"])
    method = protos.method(d["method"])
    return {
        "target": d["target"],
        "protos": protos,
        "method": method.name,
        "request": method.message(d["data"]),
        "stream": method.server_streaming,
        "name": d["name"],
        "max_message_bytes": d.get("max_message_bytes"),
        "metadata": checked_metadata([(k, v) for k, v in d["metadata"]]) or None,
    }


@task(name="grpc")
async def grpc_call(ctx: Any) -> None:
    text = ctx.env[ENV]
    call = _prepared.get(text)
    if call is None:
        call = _prepared[text] = _prepare(text)
    target = ctx.grpc(call["target"], call["protos"], max_message_bytes=call["max_message_bytes"])
    if call["stream"]:
        async for _ in target.stream(
            call["method"], call["request"], name=call["name"], metadata=call["metadata"]
        ):
            pass
    else:
        await target.call(call["method"], call["request"], name=call["name"], metadata=call["metadata"])

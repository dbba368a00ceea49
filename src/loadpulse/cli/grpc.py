"""`loadpulse grpc TARGET SERVICE/METHOD --data JSON --proto FILE`: the ghz-style gRPC one-liner.

Checked here, once, before any load: the .proto compiles, the method exists, the data fits its request
type. The call then runs as a built-in scenario (:mod:`loadpulse.cli.grpc_scenario`) under the load flags
of `loadpulse http`, translated to a profile, so `--workers`, `--cluster`, thresholds and every output work
as they do for `loadpulse run`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from loadpulse.bounds import spread_over
from loadpulse.cli import grpc_scenario
from loadpulse.cli.http import positive
from loadpulse.cli.run import PRESET_HELP, make_options, plan_of
from loadpulse.cli.run_options import Flags, with_run_options
from loadpulse.cli.runner import run_and_report
from loadpulse.cli.worker_options import (
    MAX_WORKERS,
    AbortOnLossOpt,
    ClusterOpt,
    ReserveCoresOpt,
    WorkersOpt,
    cluster_session,
    worker_count,
    worker_setup,
)
from loadpulse.engine.ray_cluster import parse_cluster
from loadpulse.errors import BadInput
from loadpulse.protocols.grpc import ONE_LINER_METHOD_ENV, ONE_LINER_URL_ENV
from loadpulse.protocols.grpc.metadata import checked_metadata
from loadpulse.protocols.grpc.plugin import check_target
from loadpulse.protocols.grpc.protos import compile_protos, require_grpc
from loadpulse.protocols.http.request import parse_header
from loadpulse.spec import DEFAULT_DURATION_S
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.units import parse_duration

NO_REFLECTION = (
    "--proto FILE is needed: server reflection is not supported (grpcio-reflection is not a dependency)"
)


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}


def parse_size(text: str, what: str) -> int:
    """``4194304``, ``16MiB``, ``512kB``: a number of bytes > 0, or :class:`BadInput`."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None or int(match.group(1)) == 0:
        raise BadInput(f"{what} {text!r} is not a size in bytes > 0 (like 16MiB, 512kB or 4194304)")
    return int(match.group(1)) * unit


def read_data(data: str | None) -> str:
    """--data as JSON text (a string or @file), checked to be JSON."""
    if data is None:
        return "{}"
    text = data
    if data.startswith("@"):
        try:
            text = Path(data[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--data file {data[1:]!r} cannot be read: {exc.strerror}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"--data is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise BadInput(f"--data must be a JSON object (the request message), not {type(value).__name__}")
    return text


@with_run_options
def grpc(
    target: Annotated[
        str, typer.Argument(help="host:port of the gRPC server (plaintext).", show_default=False)
    ],
    method: Annotated[
        str,
        typer.Argument(help="package.Service/Method (Service/Method when unambiguous).", show_default=False),
    ],
    data: Annotated[
        str | None, typer.Option("--data", help="The request message as JSON, or @file. Default {}.")
    ] = None,
    proto: Annotated[
        list[str] | None, typer.Option("--proto", help=".proto file declaring the service; repeatable.")
    ] = None,
    import_path: Annotated[
        list[str] | None,
        typer.Option(
            "-I", "--import-path", help="Folder the .proto files' imports are found in; repeatable."
        ),
    ] = None,
    metadata: Annotated[
        list[str] | None, typer.Option("-H", "--metadata", help="'key: value' call metadata; repeatable.")
    ] = None,
    requests: Annotated[
        int | None, typer.Option("-n", "--requests", help="Stop after this many calls.")
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option(
            "-d",
            "--duration",
            help=f"Stop after this long. Default {DEFAULT_DURATION_S:g}s when -n is not given.",
        ),
    ] = None,
    connections: Annotated[
        int | None,
        typer.Option(
            "-c",
            "--concurrency",
            "--connections",
            help="Calls in flight at once (closed model; they share one HTTP/2 connection per process). "
            "Default 50, or the preset's.",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", help="Open model: start this many calls per second; latency from each intended start."
        ),
    ] = None,
    max_in_flight: Annotated[
        int | None,
        typer.Option(
            "--max-in-flight",
            help="With --rate: most calls outstanding; more are dropped. Default max(-c, 1000).",
        ),
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help=f"A preset load shape. {PRESET_HELP}.")
    ] = None,
    timeout: Annotated[str, typer.Option("--timeout", help="Each call's deadline.")] = "10s",
    grace: Annotated[
        str, typer.Option("--grace", help="At the end, how long in-flight calls may still finish.")
    ] = "2s",
    name: Annotated[str | None, typer.Option("--name", help="Name the call's stats are kept under.")] = None,
    max_message_size: Annotated[
        str | None,
        typer.Option(
            "--max-message-size",
            help="Largest reply accepted (e.g. 16MiB); gRPC's default is 4 MiB, a larger reply fails as "
            "grpc_resource_exhausted.",
        ),
    ] = None,
    workers: WorkersOpt = None,
    reserve_cores: ReserveCoresOpt = None,
    abort_on_worker_loss: AbortOnLossOpt = False,
    cluster: ClusterOpt = None,
    *,
    flags: Flags,
) -> int:
    """Load one gRPC method, ghz-style: unary or server-streaming; closed model (-c) or open (--rate)."""
    if cluster is not None:
        parse_cluster(cluster)
        workers = workers or "auto"
    processes = worker_count(workers, reserve_cores, (MAX_WORKERS, MAX_WORKERS) if cluster else None)
    positive(requests, "-n/--requests")
    positive(connections, "-c/--concurrency")
    positive(rate, "--rate")
    positive(max_in_flight, "--max-in-flight")
    check_target(target)
    text = read_data(data)
    max_bytes = parse_size(max_message_size, "--max-message-size") if max_message_size else None
    pairs = checked_metadata([parse_header(m) for m in metadata or []], "-H") or ()
    if not proto:
        raise BadInput(NO_REFLECTION)
    require_grpc()
    protos = compile_protos(proto, import_path or ())
    m = protos.method(method)
    if m.client_streaming:
        raise BadInput(
            f"{m.name} takes a stream of requests: client and bidirectional streaming are not supported"
        )
    m.message(text, "--data")
    env = grpc_scenario.describe(
        target,
        m.name,
        text,
        protos,
        name or m.name,
        [[k, v.decode() if isinstance(v, bytes) else v] for k, v in pairs],
        max_bytes,
    )
    duration_s = parse_duration(duration, "-d/--duration") if duration is not None else None
    if rate is not None and requests is not None:
        # -n arrivals at a steady rate: arrival k is due at k / rate, so (n - 0.5) / rate takes exactly n.
        duration_s, requests = (requests - 0.5) / rate, None
    elif duration_s is None and requests is None and preset is None:
        duration_s = DEFAULT_DURATION_S
    if preset is None:
        connections = connections or 50
    options = make_options(
        profile=preset,
        vus=connections if rate is None else None,
        rate=rate,
        iterations=requests,
        max_vus=(max_in_flight or max(connections or 0, 1000)) if rate is not None else None,
        timeout=timeout,
        grace=grace,
        thresholds=flags["threshold"],
    )
    options = dataclasses.replace(
        options,
        env={grpc_scenario.ENV: env, ONE_LINER_URL_ENV: f"grpc://{target}", ONE_LINER_METHOD_ENV: m.name},
        overrides=dataclasses.replace(options.overrides, duration_s=duration_s),
    )
    # The load's end is the one-liner's: --grace, not a scenario profile's 30 s graceful stop. A profile's
    # graceful stop is the file's to say, so the run gets a two-line file of its own saying it.
    with tempfile.TemporaryDirectory(prefix="loadpulse-grpc-") as folder:
        file = Path(folder) / "loadpulse_grpc.py"
        file.write_text(grpc_scenario.source(options.grace_s), encoding="utf-8")
        with spread_over(processes):
            try:
                plan = plan_of(str(file), options)
            except BadInput as exc:
                raise BadInput(_in_flags(str(exc), str(file), rate is not None)) from None
        with cluster_session(cluster, str(file)) as ray_cluster:
            setup = worker_setup(
                str(file), options, plan, workers, reserve_cores, abort_on_worker_loss, ray_cluster
            )
            thresholds = parse_thresholds(plan.thresholds, plan.metrics, flags["abort_on_fail"])
            shown = dataclasses.replace(plan, source=f"loadpulse grpc {target} {m.name}")
            return run_and_report(shown, flags, thresholds, workers=setup)


def _in_flags(said: str, file: str, open_model: bool) -> str:
    """A refusal of the run's profile in the one-liner's words: its flags, not the file written for it."""
    said = said.removeprefix(f"{file}: ")
    vus = "--max-in-flight " if open_model else "-c "
    return (
        said.replace("profile: VUs ", vus)
        .replace("profile: rate ", "--rate ")
        .replace("--profile:", "--preset:")
    )

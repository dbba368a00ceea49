"""`loadpulse target ...`: run the embedded target services standalone. The demo target's fault knobs are
declared here once; `loadpulse demo` takes the same ones and hands them to the target it starts."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from loadpulse.demo.knobs import Knobs
from loadpulse.errors import BadInput
from loadpulse.units import parse_duration

target_app = typer.Typer(help="Run an embedded target service.", no_args_is_help=True)

MAX_WORKERS = 256

FLAGS = {
    "latency_ms": "--latency-ms",
    "error_rate": "--error-rate",
    "stall_every_s": "--stall-every",
    "stall_for_s": "--stall-for",
    "loss_rate": "--loss-rate",
    "duplicate_rate": "--duplicate-rate",
    "stuck_rate": "--stuck-rate",
    "slow_worker_ms": "--slow-worker-ms",
    "stop_worker_s": "--stop-worker",
}
"""Each knob's flag, on `target demo` and on `demo`."""

LatencyOpt = Annotated[float, typer.Option("--latency-ms", help="Added latency per API request.")]
ErrorRateOpt = Annotated[
    float, typer.Option("--error-rate", help="Fraction of API requests answered 500 (0..1).")
]
StallEveryOpt = Annotated[
    float, typer.Option("--stall-every", help="Stall the API every this many seconds (0 = never).")
]
StallForOpt = Annotated[float, typer.Option("--stall-for", help="Length of each stall in seconds.")]
LossRateOpt = Annotated[
    float,
    typer.Option("--loss-rate", help="Fraction of accepted messages the workers silently drop (0..1)."),
]
DuplicateRateOpt = Annotated[
    float, typer.Option("--duplicate-rate", help="Fraction of accepted messages stored twice (0..1).")
]
StuckRateOpt = Annotated[
    float,
    typer.Option(
        "--stuck-rate", help="Fraction of accepted messages stored as 'running' and never finished (0..1)."
    ),
]
SlowWorkerOpt = Annotated[
    float,
    typer.Option("--slow-worker-ms", help="Extra time worker-1 spends on each message (one slow worker)."),
]
StopWorkerOpt = Annotated[
    str,
    typer.Option(
        "--stop-worker",
        help="The last worker stops this long (e.g. 5s) with the first batch it takes, then resumes.",
    ),
]


def make_knobs(
    latency_ms: float = 0.0,
    error_rate: float = 0.0,
    stall_every: float = 0.0,
    stall_for: float = 0.0,
    loss_rate: float = 0.0,
    duplicate_rate: float = 0.0,
    stuck_rate: float = 0.0,
    slow_worker_ms: float = 0.0,
    stop_worker: str = "0s",
) -> Knobs:
    """The knobs the flags say, checked: a bad value is BadInput naming its flag."""
    knobs = Knobs(
        latency_ms=latency_ms,
        error_rate=error_rate,
        stall_every_s=stall_every,
        stall_for_s=stall_for,
        loss_rate=loss_rate,
        duplicate_rate=duplicate_rate,
        stuck_rate=stuck_rate,
        slow_worker_ms=slow_worker_ms,
        stop_worker_s=parse_duration(stop_worker, "--stop-worker", allow_zero=True),
    )
    try:
        knobs.validate()
    except ValueError as exc:
        message = str(exc)
        for field, flag in FLAGS.items():
            message = message.replace(field, flag)
        raise BadInput(f"demo target knobs: {message}") from None
    return knobs


def knob_args(knobs: Knobs) -> list[str]:
    """The `target demo` flags that give ``knobs`` (only those not at their default)."""
    args: list[str] = []
    for field, value in asdict(knobs).items():
        if value:
            args += [FLAGS[field], f"{value!r}s" if field == "stop_worker_s" else repr(value)]
    return args


def check_workers(workers: int, flag: str) -> None:
    if not 1 <= workers <= MAX_WORKERS:
        raise BadInput(f"{flag} {workers}: the demo target runs 1 to {MAX_WORKERS} workers")


@target_app.command("demo")
def demo_target(
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on (0 = any free port).")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; loopback unless you mean to expose it.")
    ] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Worker tasks storing queued messages into SQLite.")
    ] = 4,
    latency_ms: LatencyOpt = 0.0,
    error_rate: ErrorRateOpt = 0.0,
    stall_every: StallEveryOpt = 0.0,
    stall_for: StallForOpt = 0.0,
    loss_rate: LossRateOpt = 0.0,
    duplicate_rate: DuplicateRateOpt = 0.0,
    stuck_rate: StuckRateOpt = 0.0,
    slow_worker_ms: SlowWorkerOpt = 0.0,
    stop_worker: StopWorkerOpt = "0s",
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Most messages a worker stores in one transaction.")
    ] = 100,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite file for messages (default: a temporary file).")
    ] = None,
) -> None:
    """Serve the demo pipeline: POST /api/messages (202 and an id) queues a message; worker tasks store the
    queue into SQLite in batches (table messages: id, worker, status, stored_at). GET /health,
    GET /api/messages/{id}, GET|PUT /_knobs. WebSocket: /ws/echo sends every message back, /ws/feed pushes
    the pipeline's health as JSON (?every_ms=100&count=N&close_code=1000); see docs/websocket.md."""
    from loadpulse.demo.server import serve

    if not 0 <= port <= 65535:
        raise BadInput(f"--port {port} is not a port number (0..65535)")
    if batch_size <= 0:
        raise BadInput("--batch-size must be greater than zero")
    check_workers(workers, "--workers")
    knobs = make_knobs(
        latency_ms,
        error_rate,
        stall_every,
        stall_for,
        loss_rate,
        duplicate_rate,
        stuck_rate,
        slow_worker_ms,
        stop_worker,
    )
    serve(host, port, knobs, db, batch_size=batch_size, workers=workers)

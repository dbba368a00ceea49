"""`loadpulse target ...`: run the embedded target services standalone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loadpulse.demo.knobs import Knobs
from loadpulse.errors import BadInput

target_app = typer.Typer(help="Run an embedded target service.", no_args_is_help=True)


@target_app.command("demo")
def demo_target(
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on (0 = any free port).")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; loopback unless you mean to expose it.")
    ] = "127.0.0.1",
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Added latency per API request.")] = 0.0,
    error_rate: Annotated[
        float, typer.Option("--error-rate", help="Fraction of API requests answered 500 (0..1).")
    ] = 0.0,
    stall_every: Annotated[
        float, typer.Option("--stall-every", help="Stall the API every this many seconds (0 = never).")
    ] = 0.0,
    stall_for: Annotated[float, typer.Option("--stall-for", help="Length of each stall in seconds.")] = 0.0,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Messages per database batch.")] = 100,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite file for messages (default: a temporary file).")
    ] = None,
) -> None:
    """Serve the demo message-ingest target: GET /health, POST /api/messages, GET /api/messages/{id}."""
    from loadpulse.demo.server import serve

    if not 0 <= port <= 65535:
        raise BadInput(f"--port {port} is not a port number (0..65535)")
    if batch_size <= 0:
        raise BadInput("--batch-size must be greater than zero")
    knobs = Knobs(latency_ms, error_rate, stall_every, stall_for)
    try:
        knobs.validate()
    except ValueError as exc:
        raise BadInput(f"demo target knobs: {exc}") from None
    serve(host, port, knobs, db, batch_size=batch_size)

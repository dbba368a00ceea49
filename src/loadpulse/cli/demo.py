"""`loadpulse demo`: the demo target plus a short mixed load against it, in one command."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Annotated

import typer

from loadpulse.cli.console import stderr_console
from loadpulse.cli.runner import OutputOptions, run_and_report
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec, validated
from loadpulse.units import parse_duration

JSON_HEADERS = (("Content-Type", "application/json"),)
DRAIN_WAIT_S = 10.0


def demo_spec(base_url: str, duration_s: float, connections: int) -> RunSpec:
    """The demo's request mix: mostly health checks and writes, some reads (seed 004's ingest shape)."""
    message = json.dumps({"user_id": 42, "channel_id": 7, "content": "hello from loadpulse"}).encode()
    return validated(
        RunSpec,
        requests=(
            RequestSpec(url=f"{base_url}/health", name="health", weight=50),
            RequestSpec(
                url=f"{base_url}/api/messages",
                method="POST",
                headers=JSON_HEADERS,
                body=message,
                name="create message",
                weight=40,
            ),
            RequestSpec(url=f"{base_url}/api/messages/1", name="read message", weight=10),
        ),
        load=LoadSpec(connections=connections, duration_s=duration_s),
    )


def demo(
    duration: Annotated[str, typer.Option("-d", "--duration", help="How long to run the load.")] = "10s",
    connections: Annotated[int, typer.Option("-c", "--connections", help="Concurrent connections.")] = 20,
    json_out: Annotated[
        str | None, typer.Option("--json", help="Write Summary JSON v1 to this path ('-' for stdout).")
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No live progress line.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no console summary.")] = False,
) -> int:
    """Start the embedded demo target on a free port, load it for ~10 s, print the summary, stop it."""
    from loadpulse.cli.http import positive
    from loadpulse.demo.server import demo_target

    duration_s = parse_duration(duration, "-d/--duration")
    positive(connections, "-c/--connections")
    err = stderr_console()
    with demo_target() as base_url:
        if not quiet:
            err.print(f"demo target up at {base_url} (loopback only); loading it for {duration}…")
        _post(f"{base_url}/api/messages", b'{"content": "first message"}')  # so 'read message' finds id 1
        code = run_and_report(
            demo_spec(base_url, duration_s, connections),
            OutputOptions(json_path=json_out, progress=not no_progress, quiet=quiet),
        )
        if not quiet:
            drained_s, health = _wait_drained(base_url, DRAIN_WAIT_S)
            drained = (
                f"queue drained {drained_s:.1f} s after the load"
                if health["queue_length"] == 0
                else f"{health['queue_length']} still queued after {DRAIN_WAIT_S:g} s"
            )
            err.print(f"target after the run: {health['stored']} messages stored, {drained}")
    return code


def _wait_drained(base_url: str, limit_s: float) -> tuple[float, dict[str, int]]:
    """Poll the target's queue until the batch writer caught up (or ``limit_s``): seed 004's drain time."""
    start = time.monotonic()
    while True:
        with urllib.request.urlopen(f"{base_url}/health", timeout=5) as resp:
            health: dict[str, int] = json.loads(resp.read())
        waited = time.monotonic() - start
        if health["queue_length"] == 0 or waited >= limit_s:
            return waited, health
        time.sleep(0.05)


def _post(url: str, body: bytes) -> None:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        resp.read()

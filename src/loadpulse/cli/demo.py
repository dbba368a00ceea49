"""`loadpulse demo`: the demo target plus the bundled demo scenario against it, in one command."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Annotated

import typer

from loadpulse.cli.console import stderr_console
from loadpulse.cli.report_options import HtmlOpt, NoHistoryOpt, OutOpt, StoreOpt
from loadpulse.cli.run import make_plan
from loadpulse.cli.runner import run_and_report

DRAIN_WAIT_S = 10.0
DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "demo" / "scenario.py"


def demo(
    duration: Annotated[str, typer.Option("-d", "--duration", help="How long to run the load.")] = "10s",
    vus: Annotated[int, typer.Option("--vus", "-c", help="Virtual users (each keeps one connection).")] = 20,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="A profile or preset instead of constant VUs.")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show-scenario", help="Print the bundled scenario file's path and exit.")
    ] = False,
    json_out: Annotated[
        str | None, typer.Option("--json", help="Write Summary JSON v1 to this path ('-' for stdout).")
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No live progress line.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no console summary.")] = False,
    out_file: OutOpt = None,
    html: HtmlOpt = None,
    no_history: NoHistoryOpt = False,
    store: StoreOpt = None,
) -> int:
    """Start the embedded demo target on a free port, run the bundled demo scenario, print the summary."""
    from loadpulse.demo.server import demo_target

    if show:
        typer.echo(str(DEMO_SCENARIO))
        return 0
    err = stderr_console()
    with demo_target() as base_url:
        plan = make_plan(
            str(DEMO_SCENARIO),
            profile=profile,
            duration=duration if profile is None else None,
            vus=vus if profile is None else None,
            base_url=base_url,
        )
        if not quiet:
            err.print(
                f"demo target up at {base_url} (loopback only); running {DEMO_SCENARIO.name} "
                f"(copy it from `loadpulse demo --show-scenario`)…",
                highlight=False,
            )
        flags = {
            "json_out": json_out,
            "no_progress": no_progress,
            "quiet": quiet,
            "out_file": out_file,
            "html": html,
            "no_history": no_history,
            "store": store,
            "run_name": "demo",
        }
        code = run_and_report(plan, flags)
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

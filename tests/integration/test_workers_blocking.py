"""`--workers` runs whose scenario blocks a worker's event loop, or is stopped while its workers start; and
what a worker process imports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from tests.conftest import CliResult

BLOCKING_TASK = """
import time
from loadpulse import task

profile = {"profile": "constant-vus", "vus": 2, "duration": "2s"}

@task
async def hit(ctx):
    await ctx.http.get("/health", name="health")
    if ctx.vu.iteration == 20:
        time.sleep(3600)  # every VU blocks its worker's loop for good
"""

BLOCKING_SETUP = """
import time
from loadpulse import task

setup_timeout = "2s"

def setup(ctx):
    time.sleep(3600)

@task
async def hit(ctx):
    await ctx.http.get("/health")
"""

SLOW_SETUP = """
import asyncio
from loadpulse import task

async def setup(ctx):
    await asyncio.sleep(3600)

@task
async def hit(ctx):
    await ctx.http.get("/health")
"""

WHAT_IS_IMPORTED = """
import json, os, sys
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 1}

def setup(ctx):
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "rich", "click", "starlette")
                   or m.startswith("loadpulse.cli"))
    main = getattr(sys.modules["__main__"], "__file__", None)  # the loadpulse script, re-run, had one
    with open(os.path.join(os.path.dirname(__file__), f"imports-{os.getpid()}.json"), "w") as f:
        json.dump({"heavy": heavy, "main": main}, f)

@task
async def hit(ctx):
    await ctx.http.get("/health")
"""


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(text)
    return str(path)


def test_a_task_that_blocks_every_worker_is_said_interrupted_and_its_requests_kept(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path, BLOCKING_TASK), "-u", demo_url, "--workers", "2", "--grace", "1s",
              "--json", "-", "-q", "--no-history")  # fmt: skip
    summary = res.summary()
    # Each worker's one VU made 20 requests before it blocked: interrupted by its worker's own watchdog once
    # the run's stop was due, so what they measured reaches the coordinator (it read 0 before).
    assert summary["requests"]["total"] == 2 * 20, summary["warnings"]
    assert summary["workers"]["lost"] == [], summary["warnings"]
    blocked = [w for w in summary["warnings"] if "its event loop has been blocked for" in w]
    assert blocked and all(w.startswith("worker ") for w in blocked), summary["warnings"]
    assert "exiting without a summary" not in res.err and "Traceback" not in res.err


def test_a_blocking_setup_times_out_in_a_worker_as_in_one_process(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path, BLOCKING_SETUP), "-u", demo_url, "--workers", "2", "-q", "--no-history")
    assert res.code == 2, res.err
    assert "setup() did not finish within 2 s" in res.err and "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1, res.err


def _workers_of(coordinator: psutil.Process) -> list[psutil.Process]:
    return [c for c in coordinator.children() if "loadpulse.engine.worker_process" in " ".join(c.cmdline())]


def test_ctrl_c_while_workers_start_shows_them_not_started_without_tracebacks(
    tmp_path: Path, demo_url: str
) -> None:
    """The terminal's Ctrl-C reaches the whole foreground group: the workers (in a session of their own)
    never see it; the coordinator stops them."""
    out = tmp_path / "summary.json"
    args = [
        sys.executable, "-m", "loadpulse", "run", _file(tmp_path, SLOW_SETUP), "-u", demo_url,
        "--workers", "2", "--json", str(out), "--no-history",
    ]  # fmt: skip
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        coordinator = psutil.Process(proc.pid)
        deadline = time.monotonic() + 30
        while len(_workers_of(coordinator)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_workers_of(coordinator)) == 2, "the workers did not start"
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: while the workers import and set up
        stdout, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    rows = json.loads(out.read_text())["workers"]["per_worker"]
    assert [w["state"] for w in rows] != ["done", "done"] and all(w["requests"] == 0 for w in rows)
    assert stdout.count("not started") == 2, stdout


def test_a_worker_imports_the_engine_not_the_cli(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run", _file(tmp_path, WHAT_IS_IMPORTED), "-u", demo_url, "--workers", "2", "-q", "--no-history"
    )
    assert res.code == 0, res.err
    seen = [json.loads(f.read_text()) for f in tmp_path.glob("imports-*.json")]
    assert len(seen) == 2 and all(s["heavy"] == [] and s["main"] is None for s in seen), seen

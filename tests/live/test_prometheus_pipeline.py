"""The Prometheus endpoint exports the pipeline check, scraped during a real run (SQLite sink)."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from loadpulse.live.prometheus import AggregateCollector
from loadpulse.live.state import LiveState
from tests.ports import free_port

SCENARIO = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "constant-vus", "vus": 1, "duration": "60s"}}
think_time = "20ms"
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at FROM items", "drain_timeout": "1s"}}

def store(item, copies):
    with sqlite3.connect(DB) as db:
        for _ in range(copies):
            db.execute("INSERT INTO items VALUES (?, ?)", (item, time.time()))

@task
async def send(ctx):
    item = ctx.track()
    await ctx.call("store", store, item, 2 if ctx.vu.iteration == 2 else 1)  # one duplicate
"""


def scenario(tmp_path: Path) -> Path:
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL)")
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))))
    return path


def gauges(text: str) -> dict[str, float]:
    found = re.findall(r"^(loadpulse_pipeline_[a-z_0-9]+(?:\{[^}]*\})?) (\S+)$", text, re.M)
    return {name: float(value) for name, value in found}


def scrape(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bytes(r.read()).decode()
    except (urllib.error.URLError, ConnectionError):
        return ""


def test_a_scrape_during_the_run_has_the_pipeline_gauges(tmp_path: Path) -> None:
    port = free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "run", str(scenario(tmp_path)), "--no-history", "--quiet",
         f"--prometheus={port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        seen: dict[str, float] = {}
        deadline = time.monotonic() + 60
        # Wait (bounded) until the check has polled the sink after the duplicate and a few more items.
        while time.monotonic() < deadline and run.poll() is None:
            seen = gauges(scrape(f"http://127.0.0.1:{port}/metrics"))
            if (
                seen.get("loadpulse_pipeline_duplicates") == 1
                and seen.get("loadpulse_pipeline_delivered", 0) >= 5
            ):
                break
            time.sleep(0.2)
        assert seen.get("loadpulse_pipeline_duplicates") == 1, (seen, run.poll())
        sent, delivered = seen["loadpulse_pipeline_sent"], seen["loadpulse_pipeline_delivered"]
        assert delivered >= 5 and sent >= delivered
        assert seen["loadpulse_pipeline_backlog"] == sent - delivered
        assert seen["loadpulse_pipeline_lost"] == 0  # during the load an unseen item is on its way
        assert seen["loadpulse_pipeline_stuck"] == 0
        p50 = seen['loadpulse_pipeline_e2e_seconds{quantile="0.5"}']
        p95 = seen['loadpulse_pipeline_e2e_seconds{quantile="0.95"}']
        top = seen['loadpulse_pipeline_e2e_seconds{quantile="1"}']
        assert 0 < p50 <= p95 <= top < 60
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(60)
    assert run.returncode == 130, run.stderr.read() if run.stderr else ""


def test_a_run_without_a_pipeline_exports_no_pipeline_metrics() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(LiveState()))
    text = generate_latest(registry).decode()
    assert "loadpulse_requests_total" in text and "loadpulse_pipeline" not in text


def test_before_anything_arrived_the_e2e_gauge_has_no_samples() -> None:
    state = LiveState()
    state.aggregate.pipeline = {
        "sent": 3, "delivered": 0, "lost": {"count": 0, "rate": 0.0}, "duplicates": {"count": 0, "ids": []},
        "stuck": {"count": 0, "ids": []}, "drain_s": None,
        "e2e_ms": {"p50": None, "p90": None, "p95": None, "p99": None, "max": None},
    }  # fmt: skip
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(state))
    seen = gauges(generate_latest(registry).decode())
    assert seen["loadpulse_pipeline_backlog"] == 3 and seen["loadpulse_pipeline_sent"] == 3
    assert not any(name.startswith("loadpulse_pipeline_e2e") for name in seen)

"""The live dashboard's pipeline panel: in real Chromium for a run with a SQLite sink, absent without one.

Runs go through the CLI in a subprocess: the module's browser keeps an event loop of its own
(tests/browser.py).
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loadpulse.live.dashboard import DashboardState
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from tests.ports import free_port

SCENARIO = """
import sqlite3, time
from loadpulse import task

DB = {db!r}
profile = {{"profile": "per-vu-iterations", "vus": 1, "iterations": 30}}
think_time = "50ms"
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at FROM items", "drain_timeout": "1s"}}

def store(item, copies):
    with sqlite3.connect(DB) as db:
        for _ in range(copies):
            db.execute("INSERT INTO items VALUES (?, ?)", (item, time.time()))

@task
async def send(ctx):
    item = ctx.track()
    n = ctx.vu.iteration
    await ctx.call("store", store, item, 0 if n == 5 else 2 if n == 7 else 1)  # one lost, one duplicated
"""


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def pipeline_dashboard(tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL)")
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(SCENARIO.format(db=str(db))))
    port = free_port()
    run = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "run", str(path), "--no-history", "--no-progress",
         f"--dashboard={port}", "--dashboard-linger", "120s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url)
        yield url
    finally:
        run.send_signal(signal.SIGINT)  # ends the linger
        try:
            run.wait(30)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()


def cards(page: Any) -> dict[str, tuple[str, str, bool]]:
    """The pipeline panel's cards: label -> (value, note, shown as a problem)."""
    found = page.evaluate(
        """() => [...document.querySelectorAll('#pipeline-cards .card')].map(c => [
             c.querySelector('.label').textContent, c.querySelector('.value').textContent,
             (c.querySelector('.note') || {}).textContent || '', c.classList.contains('bad')])"""
    )
    return {label: (value, note, bad) for label, value, note, bad in found}


def test_the_pipeline_panel_shows_counts_charts_and_the_lost_item(
    browser: Any, pipeline_dashboard: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(pipeline_dashboard)
    page.wait_for_selector("body[data-final='1']", timeout=60_000)
    assert page.is_visible("#pipeline")
    shown = cards(page)
    assert shown["sent"][0] == "30" and shown["arrived"][0] == "29"
    assert shown["lost"][:1] == ("1",) and shown["lost"][2], shown["lost"]  # red once the load is over
    assert shown["duplicates"] == ("1", "", True)
    # The missing item is lost, not also backlog; nothing else is left on its way.
    assert shown["backlog"][0] == "0"
    assert shown["e2e p95"][0].endswith(("ms", "s"))
    assert shown["drain"][1] == "waited, then gave up"
    charts = page.evaluate(
        "[...document.querySelectorAll('#pipeline-charts .u-title')].map(t => t.textContent)"
    )
    assert charts == ["Items (total so far)", "Backlog (sent, not arrived yet)"]
    assert "pipeline" in (page.text_content("#final") or "")
    assert not errors


def test_a_run_without_a_pipeline_sends_no_pipeline_data() -> None:
    state = DashboardState("t", 10.0)
    agg = Aggregate()
    row = SeriesRow(
        t_s=1.0, interval_s=1.0, requests=1, ok=1, failed=0, rate=1.0, p50_ms=1.0, p90_ms=1.0, p95_ms=1.0,
        p99_ms=1.0, max_ms=1.0, errors={}, dropped=0, in_flight=0, connections=1,
    )  # fmt: skip
    state.update(row, agg, [])
    msg = state.message(0)
    assert msg["totals"]["pipeline"] is None and not any(k.startswith("pipeline") for k in msg["rows"][0])
    agg.pipeline = {"sent": 7, "delivered": 4, "lost": {"count": 0, "rate": 0.0}, "drain_s": None}
    state.update(row, agg, [])
    msg = state.message(1)
    assert msg["rows"][0]["pipeline_backlog"] == 3 and msg["totals"]["pipeline"]["pending"] == 3

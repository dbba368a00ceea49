"""The HTML report's Pipeline section: its chart data, and the page in real headless Chromium (a real run
with a SQLite sink, hostile ids and worker names from the 'system under test')."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from loadpulse.metrics.cardinality import OTHER
from loadpulse.outputs.html_pipeline import MAX_WORKERS_SHOWN, pipeline_chart_data
from loadpulse.outputs.html_report import render_html, report_data
from tests.results.pipeline_factory import pipeline_dict
from tests.results.results_factory import synthetic_results

HOSTILE = "<img src=x onerror='window.__pwned=1'>"
PIPELINE_CHARTS = ("rates", "backlog", "e2e")


def _summary(**changes: Any) -> dict[str, Any]:
    pipeline = pipeline_dict()
    pipeline.update(changes)
    return {"pipeline": pipeline}


def test_rates_are_per_second_between_polls_and_the_start_poll_has_none() -> None:
    timeline = {
        "t_s": [0.004, 1.0, 2.0, 2.02, 2.25],
        "sent": [0, 50, 100, 100, 100],
        "delivered_total": [0, 30, 70, 72, 100],
        "backlog": [0, 20, 30, 28, 0],
        "delivered": [0, 30, 40, 2, 28],
    }
    over = pipeline_chart_data(_summary(timeline=timeline))["over_time"]  # type: ignore[index]
    # the poll 20 ms after the one at 2 s is merged into the next: no rate over 20 ms
    assert over["t"] == [0.004, 1.0, 2.0, 2.25]
    assert over["sent"] == [None, round(50 / 0.996, 2), 50.0, 0.0]
    assert over["delivered"] == [None, round(30 / 0.996, 2), 40.0, 120.0]
    assert over["backlog"] == [0, 20, 30, 0]


def test_the_chart_spans_the_run_and_the_drain() -> None:
    results = synthetic_results(seconds=3)
    timeline = {"t_s": [1.0, 2.0, 3.0, 4.5], "sent": [1, 2, 3, 3], "delivered_total": [0, 1, 2, 3],
                "backlog": [1, 1, 1, 0], "delivered": [0, 1, 1, 1]}  # fmt: skip
    results.summary["pipeline"] = _summary(timeline=timeline)["pipeline"]
    assert report_data(results)["pipeline"]["x_max"] == 4.5
    assert report_data(synthetic_results(seconds=3))["pipeline"] is None


def test_workers_against_the_even_share_with_idle_and_overflow() -> None:
    w = pipeline_chart_data(_summary(by_worker={"w10": 30, "w2": 60, OTHER: 7}, workers_expected=3))
    assert w is not None and w["workers"] is not None
    bars = w["workers"]
    assert bars["even"] == 30.0 and bars["groups"] == 3  # (30 + 60) over 3 workers; (other) is no worker
    names = [r["name"] for r in bars["rows"]]
    assert names[:2] == ["w2", "w10"]  # natural order
    assert [r["deviation_pct"] for r in bars["rows"][:3]] == [100.0, 0.0, -100.0]
    assert bars["rows"][2]["kind"] == "idle" and bars["rows"][3]["kind"] == "other"
    assert pipeline_chart_data(_summary(by_worker={}))["workers"] is None  # type: ignore[index]


def test_many_workers_show_the_busiest_and_the_idlest() -> None:
    counts = {f"w{i}": i for i in range(1, 101)}
    rows = pipeline_chart_data(_summary(by_worker=counts))["workers"]["rows"]  # type: ignore[index]
    half = MAX_WORKERS_SHOWN // 2
    assert (
        len(rows) == MAX_WORKERS_SHOWN + 1 and rows[half]["kind"] == "gap" and "60 more" in rows[half]["name"]
    )
    assert rows[0]["name"] == "w100" and rows[-1]["name"] == "w1"


def test_the_spectrum_ends_at_the_max_and_is_linear_with_a_zero() -> None:
    dist = [[0.0, 0.0], [50.0, 10.0], [99.0, 20.0], [100.0, 30.0]]
    spectrum = pipeline_chart_data(_summary(e2e_distribution=dist))["spectrum"]  # type: ignore[index]
    assert spectrum["x"] == [0.0, 0.301, 2.0, 4.5] and spectrum["ms"] == [0.0, 10.0, 20.0, 30.0]
    assert spectrum["log"] is False  # a log scale cannot draw 0 ms


def test_hostile_ids_are_never_raw_in_the_page() -> None:
    results = synthetic_results(seconds=2)
    results.summary["pipeline"] = _summary(lost_ids=[HOSTILE], by_worker={HOSTILE: 3})["pipeline"]
    page = render_html(results)
    assert HOSTILE not in page and "<img" not in page


# In Chromium --------------------------------------------------------------------------------------------

SCENARIO = """
import queue, sqlite3, threading, time
from loadpulse import task

DB = {db!r}
HOSTILE = {hostile!r}
profile = {{"profile": "constant-rate", "rate": 40, "duration": "2s", "max_vus": 10}}
pipeline = {{"sink": "sql:sqlite:///" + DB + "#SELECT id, at, worker FROM items WHERE at >= :since",
             "drain_timeout": "2s", "workers": 4}}
jobs = queue.Queue()
sent = 0

def worker(name, delay):
    # a queue with workers behind it: the load outpaces them (a backlog), one is slower (unfair)
    while True:
        item, copies = jobs.get()
        time.sleep(delay)
        with sqlite3.connect(DB, timeout=10) as db:
            for _ in range(copies):
                db.execute("INSERT INTO items VALUES (?, ?, ?)", (item, time.time(), name))

for name, delay in (("w1", 0.1), ("w2", 0.1), ("w3", 0.2), (HOSTILE + "w4", 0.1)):
    threading.Thread(target=worker, args=(name, delay), daemon=True).start()

def enqueue(item):
    global sent
    sent += 1
    if sent == 1:
        jobs.put(("stranger-" + HOSTILE, 1))  # seen, never sent
    jobs.put((item, 0 if sent % 25 == 0 else 2 if sent == 10 else 1))

@task
async def send(ctx):
    await ctx.call("enqueue", enqueue, ctx.track())
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A real run (in a subprocess: the browser's loop must not meet the run's): its results file."""
    work = tmp_path_factory.mktemp("pipeline_report")
    db = work / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL, worker TEXT)")
    scenario = work / "job_queue.py"
    scenario.write_text(textwrap.dedent(SCENARIO.format(db=str(db), hostile=HOSTILE)))
    out = work / "r.json.gz"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "loadpulse",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--quiet",
            "--no-history",
        ],
        check=True,
    )
    return out, json.loads(gzip.decompress(out.read_bytes()))


def _report(results: Path, html: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "loadpulse", "report", str(results), "--html", str(html)], check=True
    )
    return html


def _open(browser: Any, html: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page, [r for r in requests if r != html.as_uri()], problems


INK = """id => {
    const c = document.querySelector('#chart-pipeline-' + id + ' canvas');
    if (!c || !c.width || !c.height) return 0;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) ink++;
    return ink;
}"""


def test_the_pipeline_section_draws_a_real_runs_check(
    browser: Any, run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, doc = run
    p = doc["summary"]["pipeline"]
    assert p["sent"] == 80 and p["lost"]["count"] == 3 and p["duplicates"]["count"] == 1
    assert p["unexpected"]["ids"] == ["stranger-" + HOSTILE] and HOSTILE + "w4" in p["by_worker"]
    assert max(p["timeline"]["backlog"]) > 5  # the workers fell behind
    page, requests, problems = _open(browser, _report(out, tmp_path / "r.html"))
    assert requests == [] and problems == []
    for chart in PIPELINE_CHARTS:
        assert page.evaluate(INK, chart) > 500, f"chart {chart} has not drawn"
    section = page.inner_text("#pipeline")
    assert "Pipeline: sent vs. arrived" in section and "not drained" in section
    cards = dict(
        zip(page.eval_on_selector_all("#pipeline .card .label", "els => els.map(e => e.textContent)"),
            page.eval_on_selector_all("#pipeline .card .value", "els => els.map(e => e.textContent)"),
            strict=True)
    )  # fmt: skip
    assert (cards["sent"], cards["lost"], cards["duplicates"], cards["unexpected"]) == ("80", "3", "1", "1")
    assert "to the persist time" in page.inner_text("#pipeline-basis")
    cells = page.eval_on_selector_all("#pipeline table.ids td", "els => els.map(e => e.textContent)")
    assert "stranger-" + HOSTILE in cells and ", ".join(p["lost_ids"]) in cells
    bars = page.eval_on_selector_all(
        "#chart-pipeline-workers .bar-row.worker",
        "rows => rows.map(r => [r.querySelector('.bar-name').textContent,"
        " r.querySelector('.bar').offsetWidth])",
    )
    assert sorted(name for name, _ in bars) == sorted(p["by_worker"]) and all(w > 0 for _, w in bars)
    assert page.locator("#chart-pipeline-workers .even").count() == 4
    assert f"fairness {p['fairness_pct']:.1f} %" in page.inner_text("#chart-pipeline-workers")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0
    page.screenshot(path=str(tmp_path / "pipeline.png"), full_page=True)
    page.close()


def test_an_older_results_file_shows_the_numbers_without_the_charts(
    browser: Any, run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, doc = run
    for key in ("timeline", "e2e_distribution", "e2e_resolution_s", "workers_expected", "load_end_s"):
        del doc["summary"]["pipeline"][key]
    doc["summary"]["pipeline"]["e2e_basis"] = {"persist_time": 0, "first_seen": 77}  # a sink without 'at'
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    page, requests, problems = _open(browser, _report(old, tmp_path / "old.html"))
    assert requests == [] and problems == []
    assert "80" in page.inner_text("#pipeline .cards")
    assert "no pipeline timeline" in page.inner_text("#pipeline")
    basis = page.inner_text("#pipeline-basis")
    assert "77 to the poll that first saw the item" in basis and "persist" not in basis
    assert page.locator("#chart-pipeline-rates").count() == 0
    assert page.locator("#chart-pipeline-workers .bar-row").count() == 4
    page.close()
    del doc["summary"]["pipeline"]
    old.write_text(json.dumps(doc))
    page, _, problems = _open(browser, _report(old, tmp_path / "none.html"))
    assert problems == [] and page.locator("#pipeline").count() == 0
    page.close()

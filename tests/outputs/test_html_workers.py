"""The HTML report's Workers section in real headless Chromium: from a real `loadpulse run --workers 2`
against the demo target, and from a constructed summary with a lost worker whose error is hostile HTML."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadpulse.outputs.html_report import report_data, write_html
from loadpulse.results.format import NO_DATA
from tests.results.results_factory import synthetic_results

HOSTILE = "<img src=x onerror='window.__pwned=1'>"
SCENARIO = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 25}

@task
async def hit(ctx):
    await ctx.http.get("/health", name="health")
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, demo_url: str) -> tuple[Path, dict[str, Any]]:
    """A real two-worker run (in a subprocess: the browser's loop must not meet the run's)."""
    work = tmp_path_factory.mktemp("workers_report")
    scenario = work / "scenario.py"
    scenario.write_text(SCENARIO)
    out = work / "r.json.gz"
    subprocess.run(
        [sys.executable, "-m", "loadpulse", "run", str(scenario), "-u", demo_url, "--workers", "2",
         "--out", str(out), "--quiet", "--no-history"],
        check=True,
    )  # fmt: skip
    html = work / "r.html"
    subprocess.run([sys.executable, "-m", "loadpulse", "report", str(out), "--html", str(html)], check=True)
    return html, json.loads(gzip.decompress(out.read_bytes()))


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


def _cells(page: Any) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        "#workers-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return rows


def test_a_real_two_worker_run_has_a_row_and_a_bar_per_worker(
    browser: Any, run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    html, doc = run
    assert [w["requests"] for w in doc["summary"]["workers"]["per_worker"]] == [50, 50]
    page, requests, problems = _open(browser, html)
    assert requests == [] and problems == []
    rows = _cells(page)
    assert [r[:5] for r in rows] == [
        ["1 of 2", "ok", "50", "50 %", "50 %"],
        ["2 of 2", "ok", "50", "50 %", "50 %"],
    ]
    assert all(r[-1].endswith(" MB") and r[-2].endswith(" %") for r in rows)
    assert "Imbalance 0 %" in page.inner_text("#workers-note")
    bars = page.eval_on_selector_all(
        "#chart-workers .bar", "bs => bs.map(b => b.getBoundingClientRect().width)"
    )
    assert len(bars) == 2 and bars[0] > 50 and bars[0] == bars[1]
    assert page.eval_on_selector_all("#chart-workers .even", "es => es.length") == 2
    page.locator("#workers").screenshot(path=str(tmp_path / "workers.png"))


def test_a_lost_worker_is_marked_and_its_error_stays_text(browser: Any, tmp_path: Path) -> None:
    results = synthetic_results(seconds=2)
    why = "worker raised " + HOSTILE
    results.summary["workers"] = {
        "count": 2, "backend": "local", "lost": [2],
        "per_worker": [
            {"index": 1, "state": "done", "requests": 600, "iterations": 600, "dropped": 0, "peak_vus": 4,
             "cpu_pct": 95.0, "max_rss_mb": 64.2, "share": 0.5},
            {"index": 2, "state": "lost", "requests": 200, "iterations": 200, "dropped": 0, "peak_vus": 4,
             "cpu_pct": None, "max_rss_mb": None, "share": 0.5, "lost_at_s": 1.0, "lost_why": why},
        ],
    }  # fmt: skip
    assert report_data(results)["workers"] == {"imbalance_pct": None}  # one worker left: nothing to compare
    write_html(results, tmp_path / "lost.html")
    page, requests, problems = _open(browser, tmp_path / "lost.html")
    assert requests == [] and problems == [] and page.evaluate("window.__pwned") is None
    rows = _cells(page)
    assert rows[1][:3] == ["2 of 2", "lost at 1.0 s: " + why, "200"] and rows[1][-2:] == [NO_DATA, NO_DATA]
    assert page.get_attribute("#workers-table tbody tr:nth-child(2)", "class") == "lost"
    assert "1 lost" in page.inner_text("#workers-note")
    assert page.inner_text("#chart-workers .bar-row.lost .bar-name") == "worker 2 (lost)"
    page.locator("#workers").screenshot(path=str(tmp_path / "workers-lost.png"))

    del results.summary["workers"]
    write_html(results, tmp_path / "single.html")
    page, _, problems = _open(browser, tmp_path / "single.html")
    assert problems == [] and page.query_selector("#workers") is None

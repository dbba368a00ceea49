"""The HTML report's drift in real headless Chromium: a Drift table with each series' verdict and the fitted
trend drawn on the latency and probe charts; a probe name that is hostile HTML stays text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadpulse.metrics.drift import DriftChoice, drift_block
from loadpulse.outputs.html_report import write_html
from tests.results.results_factory import synthetic_results

HOSTILE = "<img src=x onerror='window.__pwned=1'>"


def _open(browser: Any, html: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page, problems


def test_drift_table_and_trend_lines(browser: Any, tmp_path: Path) -> None:
    results = synthetic_results(seconds=40)
    for i, row in enumerate(results.series):
        row.p95_ms = 10.0 + 0.5 * i  # +30 ms/min
        row.probes = {"target.rss": 100.0, HOSTILE: 5.0}
    results.summary["drift"] = drift_block(results.series, 40.0, DriftChoice("on"))
    write_html(results, tmp_path / "drift.html")
    page, problems = _open(browser, tmp_path / "drift.html")
    assert problems == [] and page.evaluate("window.__pwned") is None
    rows = page.eval_on_selector_all(
        "#drift-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    by_series = {r[0]: r for r in rows}
    assert by_series["p95"][1] == "grew" and by_series["p95"][3].endswith(" ms/min")
    assert by_series["probe.target.rss"][1] == "stable" and by_series[f"probe.{HOSTILE}"][1] == "stable"
    assert "p < 0.01" in page.inner_text("#drift-note")
    assert "p95 trend (grew)" in page.inner_text("#chart-latency")
    assert "probe.target.rss trend (stable)" in page.inner_text("#chart-probe-1")
    page.locator("#drift").screenshot(path=str(tmp_path / "drift.png"))
    page.locator("#chart-latency").screenshot(path=str(tmp_path / "latency.png"))


def test_no_drift_section_for_an_untested_or_older_run(browser: Any, tmp_path: Path) -> None:
    results = synthetic_results(seconds=5)
    assert results.summary["drift"]["tested"] is False  # 5 s: shorter than the 3 minutes drift needs
    write_html(results, tmp_path / "short.html")
    page, problems = _open(browser, tmp_path / "short.html")
    assert problems == [] and page.query_selector("#drift") is None
    del results.summary["drift"]
    write_html(results, tmp_path / "old.html")
    page, problems = _open(browser, tmp_path / "old.html")
    assert problems == [] and page.query_selector("#drift") is None

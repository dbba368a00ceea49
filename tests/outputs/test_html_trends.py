"""The HTML report's custom trends in real headless Chromium: the console's formatting (three significant
digits, ``*_ms`` as durations) and "no data" for a trend that recorded nothing; an HTTP/2 run's header says
so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadpulse.outputs.html_report import write_html
from tests.outputs.test_console_trends import EMPTY, RAW
from tests.results.results_factory import synthetic_results


def test_custom_trends_read_like_the_console(browser: Any, tmp_path: Path) -> None:
    results = synthetic_results(seconds=3)
    results.summary["metrics"] = {
        "db_ms": RAW,
        "depth": {**RAW, "count": 7},
        "ws_push_gap_ms": EMPTY,
        "jobs": {"kind": "counter", "value": 3, "rate": 1.0},
    }
    results.summary["load"] |= {"http2": True, "streams_per_connection": 100}
    write_html(results, tmp_path / "trends.html")
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto((tmp_path / "trends.html").as_uri())
    page.wait_for_selector("body[data-ready='1']")
    rows = page.eval_on_selector_all(
        "#custom-metrics tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    values = {r[0]: r[2] for r in rows}
    assert problems == []
    assert values["db_ms"] == "min 1.46 µs, p50 12.3 ms, p95 100 ms, max 424 ms (n=1,234)"
    assert values["depth"] == "min 0.00146, p50 12.3, p95 100, max 424 (n=7)"
    assert values["ws_push_gap_ms"] == "no data"
    assert values["jobs"].startswith("3 (")
    header = page.text_content("header .muted") or ""
    assert "over HTTP/2 (100 streams per connection)" in header

"""Thresholds end to end: exit codes, abort on a target that gets slower, JUnit and Markdown outputs."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.integration.test_demo import get_json


def test_pass_warn_fail_exit_codes(cli: Callable[..., CliResult], nginx: object) -> None:
    url = nginx.url  # type: ignore[attr-defined]
    base = ["http", url, "-n", "300", "-c", "5", "--quiet"]
    assert cli(*base, "-t", "p95 < 1s", "-t", "errors.rate < 1%").code == 0
    warn = ["-t", "p95: target<0.001ms critical<1s"]
    assert cli(*base, *warn).code == 0
    assert cli(*base, *warn, "--fail-on-warn").code == 1
    assert cli(*base, "-t", "requests.count > 1000").code == 1


def test_verdicts_in_json_and_console(cli: Callable[..., CliResult], nginx: object) -> None:
    url = nginx.url  # type: ignore[attr-defined]
    r = cli(
        "http",
        url,
        "-n",
        "200",
        "-c",
        "4",
        "--json",
        "-",
        "-t",
        "p99: target<1ms acceptable<5ms critical<2s",
        "-t",
        "errors.http_5xx.count == 0",
        "-t",
        "requests.count < 100",
    )
    assert r.code == 1
    s = r.summary()
    assert s["verdict"] == "FAIL"
    by_metric = {t["metric"]: t for t in s["thresholds"]}
    assert (
        by_metric["requests.count"] | {"actual": 200.0, "verdict": "FAIL", "critical": "100"}
        == by_metric["requests.count"]
    )
    assert by_metric["p99"]["target"] == "1ms" and by_metric["p99"]["comparators"]["acceptable"] == "<"
    assert "verdict FAIL" in r.err  # with --json -, the human summary goes to stderr
    assert "threshold" in r.err and "acceptable" in r.err


@pytest.fixture
def slow_later(demo_url: str) -> Iterator[str]:
    """The demo target's API answers in ~1 ms for a second, then 300 ms per request."""
    timer = threading.Timer(1.0, get_json, (f"{demo_url}/_knobs", "PUT", b'{"latency_ms": 300}'))
    timer.start()
    try:
        yield demo_url
    finally:
        timer.cancel()
        get_json(f"{demo_url}/_knobs", "PUT", b'{"latency_ms": 0}')


def test_abort_on_fail_stops_a_slowing_run_with_exit_3_and_writes_the_report(
    cli: Callable[..., CliResult], slow_later: str, tmp_path: Path
) -> None:
    junit, md, js = tmp_path / "j.xml", tmp_path / "s.md", tmp_path / "s.json"
    r = cli(
        "http", f"{slow_later}/api/messages", "--json-body", '{"content": "x"}',
        "--rate", "50", "-d", "30s", "--no-progress",
        "-t", "p95 < 100ms abort_on_fail", "-t", "errors.rate < 1%",
        "--junit", str(junit), "--markdown", str(md), "--json", str(js),
    )  # fmt: skip
    assert r.code == 3, r.err
    assert "aborted:" in r.err and "'p95 < 100ms abort_on_fail' failed" in r.err
    import json

    s = json.loads(js.read_text())
    assert s["ended_by"] == "aborted" and s["duration_s"] < 15
    assert s["aborted_by"].startswith("'p95 < 100ms abort_on_fail'")
    assert s["verdict"] == "FAIL"
    # JUnit: the common schema shape, read back by a parser
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["p95 < 100ms abort_on_fail"].find("failure")
    assert failure is not None and "p95 = " in (failure.get("message") or "")
    assert cases["errors.rate < 1%"].find("failure") is None
    assert "**aborted**" in md.read_text() and "| `p95` |" in md.read_text()


def test_markdown_goes_to_the_github_step_summary(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = cli("http", nginx.url, "-n", "50", "-c", "2", "--quiet", "-t", "p95 < 1s")  # type: ignore[attr-defined]
    assert r.code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n") and ":white_check_mark: loadpulse: PASS" in text


@pytest.mark.parametrize(
    ("expr", "message", "caret_col"),
    [
        ("p95 < 10 parsecs", "unknown unit 'parsecs'", 9),
        ("p95 10ms", "expected a comparator", 4),
        ("erors.rate < 1%", "did you mean 'errors.rate'?", 0),
        ("p95: target<50ms critical<10ms", "levels in the wrong order", 26),
        ("dropped{name=x}.count < 1", "is not available on dropped", 7),
        ("queue.p95 < 3", "unknown metric 'queue.p95'", 0),
    ],
)
def test_bad_thresholds_echo_the_expression_with_a_caret(
    cli: Callable[..., CliResult], expr: str, message: str, caret_col: int
) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "-t", expr)
    assert r.code == 2 and "Traceback" not in r.err
    first, echo, caret = r.err.rstrip("\n").split("\n")
    assert first.startswith("loadpulse: error: threshold ") and message in first
    assert echo == f"  {expr}"
    assert caret == "  " + " " * caret_col + "^"

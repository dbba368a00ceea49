"""The plan's JSON and JUnit from a plan record: one part per run, skipped runs shown as skipped."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Console

from loadpulse.outputs.plan_report import plan_json, plan_junit, print_plan_table
from loadpulse.results.plan_outcome import SKIPPED, PlanOutcome, RunRecord


def summary(verdict: str, run_id: str) -> dict[str, Any]:
    return {
        "schema": "loadpulse.summary/1",
        "run_id": run_id,
        "started_at": "2026-11-23T22:00:00.000Z",
        "duration_s": 2.0,
        "verdict": verdict,
        "ended_by": "duration",
        "target": {"url": "http://127.0.0.1:9/"},
        "requests": {"total": 200, "ok": 190, "failed": 10, "rate": 100.0},
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
        "thresholds": [
            {
                "expression": "p95 < 1ms",
                "metric": "p95",
                "verdict": verdict,
                "actual_text": "2.000 ms",
                "comparators": {"critical": "<"},
            }
        ],
    }


def outcome() -> PlanOutcome:
    first = RunRecord(0, "quick", "url", "http://127.0.0.1:9/", stop_on_fail=False)
    first.finished(summary("PASS", "r-1"), 0)
    second = RunRecord(1, "stress", "url", "http://127.0.0.1:9/", stop_on_fail=True)
    second.finished(summary("FAIL", "r-2"), 1)
    third = RunRecord(2, "extreme", "scenario", "/x/extreme.py", reason="skipped: 'stress' failed")
    plan = PlanOutcome("presets", "plan.yaml", [first, second, third], started_at="2026-11-23T22:00:00Z")
    plan.stopped_by = "stress"
    return plan


def test_json_holds_each_runs_summary_and_the_skipped_one() -> None:
    doc = plan_json(outcome())
    assert (doc["plan"], doc["verdict"], doc["exit_code"], doc["ended_by"]) == (
        "presets",
        "FAIL",
        1,
        "stopped",
    )
    assert [r["verdict"] for r in doc["runs"]] == ["PASS", "FAIL", SKIPPED]
    assert doc["runs"][0]["run_id"] == "r-1" and doc["runs"][0]["plan_run"]["name"] == "quick"
    assert doc["runs"][2]["plan_run"] == {
        "index": 3,
        "name": "extreme",
        "kind": "scenario",
        "target": "/x/extreme.py",
        "status": SKIPPED,
        "exit_code": None,
        "stop_on_fail": False,
        "reason": "skipped: 'stress' failed",
    }
    assert doc["comparison"][1]["error_rate"] == 0.05


def test_junit_has_a_testsuite_per_run_and_skips_the_skipped() -> None:
    root = ET.fromstring(plan_junit(outcome()))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["presets / quick", "presets / stress", "presets / extreme"]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    assert suites[1].find("testcase/failure") is not None
    skipped = suites[2].find("testcase/skipped")
    assert skipped is not None and skipped.get("message") == "skipped: 'stress' failed"


def test_the_console_table_lists_every_run_and_the_plans_verdict() -> None:
    out = io.StringIO()
    print_plan_table(Console(file=out, width=120, color_system=None), outcome())
    text = out.getvalue()
    for word in ("quick", "stress", "extreme", "PASS", "FAIL", SKIPPED, "100.0", "5.00 %"):
        assert word in text
    assert "plan verdict FAIL (exit 1), stopped after stress" in text

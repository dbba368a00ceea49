"""An interrupted run is an <error> in JUnit and INTERRUPTED in Markdown; aborted runs say ABORTED
(issue 10, item 5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from loadpulse.outputs.verdicts import junit_xml, markdown
from loadpulse.results.verdict import run_verdict
from tests.results.results_factory import synthetic_results


def summary(ended_by: str, planned: float | None = 10.0) -> dict[str, Any]:
    s = synthetic_results(seconds=3).summary
    s["ended_by"] = ended_by
    s["duration_s"] = 3.2
    s["load"]["duration_s"] = planned
    return s


def test_an_interrupted_run_is_a_junit_error() -> None:
    suite = ET.fromstring(junit_xml(summary("interrupted")))
    assert suite.get("errors") == "1" and suite.get("tests") == "1" and suite.get("failures") == "0"
    case = suite.find("testcase[@name='run']")
    assert case is not None and case.get("classname") == "loadpulse.run"
    error = case.find("error")
    assert error is not None and error.get("message") == "interrupted after 3.2 s of 10 s"
    assert error.get("type") == "Interrupted"


def test_an_interrupted_run_without_a_planned_duration_says_how_long_it_ran() -> None:
    error = ET.fromstring(junit_xml(summary("interrupted", None))).find("testcase/error")
    assert error is not None and error.get("message") == "interrupted after 3.2 s"


def test_a_complete_run_has_no_run_testcase() -> None:
    suite = ET.fromstring(junit_xml(summary("duration")))
    assert suite.get("errors") == "0" and suite.find("testcase[@name='run']") is None


def test_run_verdicts_and_markdown() -> None:
    assert run_verdict(summary("interrupted")) == "INTERRUPTED"
    assert run_verdict(summary("aborted")) == "ABORTED"
    assert run_verdict(summary("duration")) == "NONE"
    md = markdown(summary("interrupted"))
    assert (
        md.startswith("### :stop_sign: loadpulse: INTERRUPTED")
        and "**interrupted after 3.2 s of 10 s**" in md
    )


def test_markdown_of_a_run_without_http_says_what_it_did() -> None:
    from tests.results.results_factory import scenario_results

    s = scenario_results(seconds=4, iterations_per_s=100).summary
    s["scenarios"] = {"default": {"iterations": 400}}
    s["latency_ms"] = dict.fromkeys(s["latency_ms"])  # no latency data: null, never 0
    md = markdown(s)
    assert "400 iterations in" in md and "no requests" in md and "0 requests" not in md
    s["requests"]["total"] = 3
    assert "p95 \u2013" in markdown(s)

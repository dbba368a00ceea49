"""The faults in the CI formats: a line in the Markdown summary for a fault never recovered from and a table
of every fault, a JUnit test case per fault (passing: the gate is a recovery threshold), and the CSV's
``faults_active`` column; none of them for a run without faults."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from loadpulse.outputs.csv_export import series_csv
from loadpulse.outputs.verdicts import junit_xml, markdown
from tests.outputs.test_console_faults import FAULTS
from tests.results.results_factory import synthetic_results


def test_markdown_says_a_fault_never_recovered_from_and_lists_every_fault() -> None:
    results = synthetic_results(seconds=6)
    results.summary["faults"] = FAULTS()
    text = markdown(results.summary)
    lines = text.splitlines()
    never = [line for line in lines if "never recovered" in line and not line.startswith("|")]
    assert never == [
        ":warning: **never recovered** from fault `core-down` (kill, at 20.0 s) by the run's end"
    ]
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == [
        "| `kill-worker` | kill | random process:worker.py | at 5.0 s | recovered in 0.4 s "
        "| 0 errors, p99 12.5 ms |",
        "| `db-latency` | proxy | db | 10.0-14.0 s | recovered in 1.2 s | 12 errors (3.0 %), p99 251.0 ms |",
        "| `core-down` | kill | process:api.py | at 20.0 s | never recovered "
        "| 12 errors (3.0 %), p99 251.0 ms |",
    ]
    del results.summary["faults"]
    assert "fault" not in markdown(results.summary)


def test_junit_has_a_passing_case_per_fault() -> None:
    results = synthetic_results(seconds=6)
    results.summary["faults"] = FAULTS()
    suite = ET.fromstring(junit_xml(results.summary))
    cases = suite.findall("testcase[@classname='loadpulse.faults']")
    assert [c.get("name") for c in cases] == ["kill-worker", "db-latency", "core-down"]
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    assert all(c.find("failure") is None for c in cases)
    out = cases[2].findtext("system-out") or ""
    assert "never recovered" in out and "warning: restart command exited 1" in out


def test_csv_marks_the_intervals_a_fault_was_on() -> None:
    results = synthetic_results(seconds=6)
    results.summary["faults"] = FAULTS()
    results.series[4].faults_active = ["kill-worker"]
    results.series[5].faults_active = ["kill-worker", "db-latency"]
    rows = list(csv.DictReader(io.StringIO(series_csv(results))))
    assert [r["faults_active"] for r in rows] == ["", "", "", "", "kill-worker", "kill-worker;db-latency"]
    plain = synthetic_results(seconds=2)
    assert "faults_active" not in series_csv(plain).splitlines()[0]

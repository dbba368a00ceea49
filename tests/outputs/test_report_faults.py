"""The faults in the CI formats: a line in the Markdown summary for a fault never recovered from and a table
of every fault, a JUnit test case per fault (passing: the gate is a recovery threshold), and the CSV's
``faults_active`` column; none of them for a run without faults."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from loadpulse.outputs.csv_export import series_csv
from loadpulse.outputs.verdicts import junit_xml, markdown
from tests.outputs.test_console_faults import FAULTS, fault
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


NOTE = (
    "not measurable: healthy from 2.0 s after it until the run's end, but the settling window "
    "(5 s, 3 intervals) did not fit"
)


def _with_unmeasured() -> list[dict[str, Any]]:
    late = fault("late-blip", start=27.0, end=28.0, recovery_s=2.0, recovered=None, recovery_note=NOTE,
                 warnings=[f"recovery {NOTE}"])  # fmt: skip
    return [*FAULTS(), late]


def test_markdown_lists_a_recovery_not_measurable_apart_from_never() -> None:
    results = synthetic_results(seconds=6)
    results.summary["faults"] = _with_unmeasured()
    lines = markdown(results.summary).splitlines()
    warned = [line for line in lines if line.startswith(":warning:")]
    assert len(warned) == 1 and "core-down" in warned[0]  # not-measurable is not "never"
    row = next(line for line in lines if line.startswith("| `late-blip`"))
    assert row.startswith(
        "| `late-blip` | proxy | db | 27.0-28.0 s | not measurable (healthy after ~2.0 s?) |"
    )
    assert f"- recovery from `late-blip` (27.0-28.0 s) {NOTE}" in lines
    # a note without the words gets them; one with none still says why
    results.summary["faults"][-1].update(recovery_note="", recovery_s=None)
    lines = markdown(results.summary).splitlines()
    why = "not measurable: the settling window did not fit"
    assert f"- recovery from `late-blip` (27.0-28.0 s) {why}" in lines


def test_a_file_without_null_recovered_reads_as_before() -> None:
    results = synthetic_results(seconds=6)
    legacy = FAULTS()
    del legacy[2]["recovered"]
    results.summary["faults"] = legacy
    assert "**never recovered** from fault `core-down`" in markdown(results.summary)


def test_junit_passes_a_recovery_not_measurable_and_says_why() -> None:
    results = synthetic_results(seconds=6)
    results.summary["faults"] = _with_unmeasured()
    suite = ET.fromstring(junit_xml(results.summary))
    cases = suite.findall("testcase[@classname='loadpulse.faults']")
    assert suite.get("failures") == "0" and all(c.find("failure") is None for c in cases)
    out = cases[3].findtext("system-out") or ""
    assert "not measurable (healthy after ~2.0 s?)" in out and "never" not in out
    assert out.count(NOTE) == 1  # the run's warning says it; not twice
    results.summary["faults"][-1]["warnings"] = []
    out = ET.fromstring(junit_xml(results.summary)).findall("testcase")[-1].findtext("system-out") or ""
    assert f"recovery {NOTE}" in out

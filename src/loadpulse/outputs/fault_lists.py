"""The run's faults in the CI formats (issue 13): Markdown lines and table, JUnit test cases, and the CSV's
``faults_active`` column, all from the Summary JSON ``faults`` list and the series' ``faults_active``.

A fault the run never recovered from is a visible line of its own in the Markdown summary; one whose
recovery was not measurable (``recovered: null``: the settling window did not fit) is not "never": it is
listed under the table with its note. In JUnit a
fault is a passing test case that says what happened: whether a slow or missing recovery fails the build
is a threshold's call (``recovery.max < 30s``), as for every other figure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from loadpulse.results.document import Results
from loadpulse.results.format import NO_DATA


def _seconds(t: float | None) -> str:
    return NO_DATA if t is None else f"{t:.1f} s"


def window(f: dict[str, Any]) -> str:
    start, end = f["start_s"], f["end_s"]
    if end is None:
        return f"from {_seconds(start)}"
    return f"at {_seconds(start)}" if end - start < 0.05 else f"{start:.1f}-{_seconds(end)}"


def unmeasured(f: dict[str, Any]) -> bool:
    """Recovery not measurable (``recovered: null``); a file written before that outcome has no null."""
    return "recovered" in f and f["recovered"] is None


def _why(f: dict[str, Any]) -> str:
    note = f.get("recovery_note") or "the settling window did not fit"
    return note if note.startswith("not measurable") else f"not measurable: {note}"


def recovery(f: dict[str, Any]) -> str:
    if f.get("recovered") and f.get("recovery_s") is not None:
        return f"recovered in {_seconds(f['recovery_s'])}"
    if unmeasured(f):
        since = f.get("recovery_s")
        return "not measurable" + ("" if since is None else f" (healthy after ~{_seconds(since)}?)")
    return "never recovered"


def impact(f: dict[str, Any]) -> str:
    im = f.get("impact") or {}
    errors = im.get("errors") or 0
    text = f"{errors:,} errors"
    if errors and im.get("error_rate"):
        text += f" ({100 * im['error_rate']:.1f} %)"
    p99 = im.get("p99_ms")
    return text + (f", p99 {p99:.1f} ms" if p99 is not None else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_lines(s: dict[str, Any]) -> list[str]:
    """The faults block of the Markdown summary: a line per fault never recovered from, then the table,
    then a line per fault whose recovery was not measurable, with why; nothing for a run without faults."""
    faults: list[dict[str, Any]] = s.get("faults") or []
    if not faults:
        return []
    lines = []
    for f in faults:
        if not f.get("recovered") and not unmeasured(f):
            lines.append(
                f":warning: **never recovered** from fault `{_cell(f['name'])}` ({f['kind']}, "
                f"{window(f)}) by the run's end"
            )
    if lines:
        lines.append("")
    lines += [
        "| fault | kind | target | when | recovery | impact |",
        "|---|---|---|---|---|---|",
    ]
    for f in faults:
        cells = [f"`{f['name']}`", f["kind"], f.get("target") or "", window(f), recovery(f), impact(f)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    notes = [
        f"- recovery from `{_cell(f['name'])}` ({window(f)}) {_cell(_why(f))}"
        for f in faults
        if unmeasured(f)
    ]
    if notes:
        lines += [*notes, ""]
    return lines


def junit_cases(suite: ET.Element, s: dict[str, Any]) -> int:
    """A test case per fault (classname ``loadpulse.faults``) saying its window, recovery and impact;
    returns how many were added."""
    faults: list[dict[str, Any]] = s.get("faults") or []
    for f in faults:
        case = ET.SubElement(suite, "testcase", classname="loadpulse.faults", name=f["name"], time="0")
        said = [f"{f['kind']} {f.get('target') or ''}".strip(), window(f), recovery(f), impact(f)]
        note = f.get("recovery_note") or ""
        if unmeasured(f) and not (note and any(note in w for w in f.get("warnings") or [])):
            said.append(f"recovery {_why(f)}")  # the run's warning says it too, when it has one
        said += [f"warning: {w}" for w in f.get("warnings") or []]
        ET.SubElement(case, "system-out").text = "; ".join(said)
    return len(faults)


def csv_column(results: Results) -> list[str] | None:
    """Each interval's ``faults_active`` cell (the names on during it, ``;``-separated), or None for a run
    without faults (no column)."""
    if not results.summary.get("faults"):
        return None
    return [";".join(getattr(row, "faults_active", None) or []) for row in results.series]

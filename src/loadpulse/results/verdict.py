"""How a run is filed: the thresholds' verdict, or INTERRUPTED / ABORTED for a run that did not run its
course (history, Markdown). Functions of Summary JSON v1, so a report regenerated later says the same."""

from __future__ import annotations

from typing import Any

INTERRUPTED, ABORTED = "INTERRUPTED", "ABORTED"
RUN_STATES = {"interrupted": INTERRUPTED, "aborted": ABORTED}
"""``ended_by`` values that override the thresholds' verdict where a run is filed (history, Markdown)."""


def run_verdict(s: dict[str, Any]) -> str:
    """INTERRUPTED or ABORTED for a run that did not run its course, else the thresholds' verdict."""
    return RUN_STATES.get(str(s.get("ended_by", "")), str(s["verdict"]))


def interruption(s: dict[str, Any]) -> str:
    """'interrupted after 3.2 s of 10 s' (the planned duration when there was one)."""
    planned = (s.get("load") or {}).get("duration_s")
    of = f" of {planned:g} s" if isinstance(planned, int | float) and planned > 0 else ""
    return f"interrupted after {s['duration_s']:.1f} s{of}"

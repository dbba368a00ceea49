"""The HTML report's faults, as data: one band per fault for every chart over the run's time axis (the
fault's window, then its recovery stretch) and the rows of the Faults section.

Built from the Summary JSON ``faults`` list alone, so a report regenerated from a results file draws the
same. Times are seconds from the load's start, the charts' x axis.
"""

from __future__ import annotations

from typing import Any

MIN_BAND_S = 0.0
"""A kill ends when it starts: its band has no width and is drawn as a line at that second."""


def recovery_state(f: dict[str, Any]) -> str:
    """``recovered``, ``never``, or ``unmeasured`` (``recovered: null``: the settling window did not fit
    before the next fault or the run's end). A file written before that third outcome has no null."""
    if f.get("recovered") is None and "recovered" in f:
        return "unmeasured"
    return "recovered" if f.get("recovered") and f.get("recovery_s") is not None else "never"


def _band(f: dict[str, Any], run_end_s: float, starts: list[float]) -> dict[str, Any]:
    start = float(f["start_s"])
    end = float(f["end_s"]) if f.get("end_s") is not None else run_end_s
    state = recovery_state(f)
    recovery_s = f.get("recovery_s")
    judged_until: float | None = None
    if state == "never":
        settled: float | None = None  # the chart shades on to the next fault, or the run's end
        # Judged only up to the next fault's start (recovery.py's horizon): never past it.
        later = [s for s in starts if s > end + 1e-9]
        judged_until = round(min(later), 3) if later else None
    else:
        # not measurable: up to when the healthy stretch began (tentative), or no stretch at all
        settled = end + float(recovery_s or 0.0)
    return {
        "name": f["name"],
        "kind": f["kind"],
        "start": round(start, 3),
        "end": round(max(start + MIN_BAND_S, end), 3),
        "recovered_at": None if settled is None else round(settled, 3),
        "judged_until": judged_until,
        "recovered": state == "recovered",
        "state": state,
        "note": f.get("recovery_note") or "",
    }


def fault_chart_data(summary: dict[str, Any], run_end_s: float) -> dict[str, Any] | None:
    """What the report draws for the run's faults; None for a run without any. ``run_end_s`` is where the
    time axis ends (the last interval's end, or the pipeline's drain): a fault never recovered from is
    shaded up to it, or to the next fault's start (``judged_until``), past which it was not judged."""
    faults: list[dict[str, Any]] = summary.get("faults") or []
    if not faults:
        return None
    ends = [run_end_s, *(float(f["end_s"]) for f in faults if f.get("end_s") is not None)]
    x_max = max(ends)
    starts = [float(f["start_s"]) for f in faults]
    return {
        "bands": [_band(f, x_max, starts) for f in faults],
        "x_max": round(x_max, 3),
    }

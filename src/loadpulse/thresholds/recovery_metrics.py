"""``recovery.*`` thresholds: how long the run took to be healthy again after its chaos faults (pure).

    recovery.max < 30s                      the slowest recovery of any fault
    recovery{fault=kill-worker}.max < 10s   of the faults named kill-worker (every occurrence)
    recovery.avg < 5s    recovery.min …     over the faults that recovered
    recovery.count >= 3                     how many fault occurrences recovered

Values come from the aggregate's fault records (``Aggregate.faults``, the Summary JSON ``faults``), in ms
like every duration. A fault that never recovered within the run has no recovery time, so ``max`` and
``avg`` have no data — FAIL, never a pass on the faults that did recover; ``min`` and ``count`` are over
the recovered ones. A fault whose recovery was not measurable (``recovered: null``: its settling window
did not fit before the run's end or the next fault; its record's warning says so) is left out: neither
a recovery nor a failure to recover. No fault fired (or none by that name, or none measurable): no
data, FAIL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loadpulse.thresholds.parser import MetricRef, ThresholdError

FIELDS = ("max", "avg", "min", "count")


def resolve_recovery(ref: MetricRef, expr: str) -> tuple[str, tuple[str, str] | None]:
    """(field, filter) of ``recovery.FIELD`` or ``recovery{fault=NAME}.FIELD``: a count for ``count``,
    else a duration in ms (threshold.py makes the Metric)."""
    parts = list(ref.parts)
    if len(parts) != 2 or parts[1] not in (*FIELDS, "mean"):
        raise ThresholdError(
            expr, ref.pos, f"unknown metric {str(ref)!r}; use recovery.max, .avg, .min or .count"
        )
    filters = dict(ref.filters)
    extra = [k for k in filters if k != "fault"]
    if extra or len(filters) > 1:
        raise ThresholdError(
            expr,
            ref.filter_pos,
            f"filter {{{extra[0] if extra else 'fault'}=...}} is not available on {ref}; use {{fault=NAME}}",
        )
    field = "avg" if parts[1] == "mean" else parts[1]
    flt = ("fault", filters["fault"]) if "fault" in filters else None
    return field, flt


def recovery_value(faults: Sequence[Mapping[str, Any]] | None, field: str, fault: str | None) -> float | None:
    """The figure in ms (a count for ``count``); None: no data (see the module)."""
    if not faults:
        return None
    mine = [
        f
        for f in faults
        if (fault is None or f.get("name") == fault) and ("recovered" not in f or f["recovered"] is not None)
    ]
    if not mine:
        return None
    done = [
        float(f["recovery_s"]) * 1000.0
        for f in mine
        if f.get("recovery_s") is not None and f.get("recovered", True)
    ]
    if field == "count":
        return float(len(done))
    if field in ("max", "avg") and len(done) < len(mine):
        return None  # a fault that never recovered: no time can stand for it
    if not done:
        return None
    if field == "max":
        return max(done)
    if field == "min":
        return min(done)
    return sum(done) / len(done)


def recovery_missing(faults: Sequence[Mapping[str, Any]] | None, field: str, fault: str | None) -> str | None:
    """The actual's words when :func:`recovery_value` has none because faults never recovered (not
    "no data", which says no fault fired); None otherwise."""
    never = sum(
        1 for f in faults or () if (fault is None or f.get("name") == fault) and f.get("recovered") is False
    )
    if not never or field == "count":
        return None
    return f"never ({never} fault{'s' if never != 1 else ''} never recovered)"

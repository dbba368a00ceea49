"""Drift thresholds: ``drift.p95 < 10%``, ``drift.errors.rate < 1%``, ``probe.target.rss.drift < 5%`` (pure).

What they compare is the change of the series over the run (:class:`loadpulse.metrics.drift.Drift`):
relative to its fitted level at the start (``0.1`` = 10 %), in points for the error rate (already a
fraction), and absolute from a level of 0 (as a probe's growth). A trend that is not significant counts as
0 %, so the noise of a steady run never fails a build; a significant one counts as measured, whatever its
size (the bound is the user's minimum effect). A series that cannot be tested (too few values) is no data,
so FAIL, like any threshold without data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.drift import series_drift
from loadpulse.metrics.drift_columns import ERRORS, LATENCY_KEYS, PROBE, THROUGHPUT

DRIFT = "drift"
RUN_SERIES = (*LATENCY_KEYS, ERRORS, THROUGHPUT)


def is_drift(parts: Sequence[str]) -> bool:
    return DRIFT in (parts[0], parts[-1])


def drift_target(parts: Sequence[str], bad: Callable[[str], Exception]) -> tuple[str, str]:
    """(source, subject) of a drift metric: ('drift', 'p95') or ('probe', 'target.rss')."""
    if parts[0] == "probe" and parts[-1] == DRIFT and len(parts) >= 3:
        return "probe", ".".join(parts[1:-1])
    if parts[0] == DRIFT and len(parts) >= 2:
        rest = ".".join(parts[1:])
        if rest in RUN_SERIES:
            return DRIFT, rest
        if rest.startswith(PROBE) and len(parts) >= 3:
            return "probe", rest[len(PROBE) :]
    which = ", ".join(f"drift.{k}" for k in RUN_SERIES)
    raise bad(f"unknown drift metric {'.'.join(parts)!r}: use {which} or probe.NAME.drift")


def drift_value(source: str, subject: str, agg: Aggregate) -> float | None:
    """The change a drift threshold compares (see the module's docstring); None while untestable."""
    key = PROBE + subject if source == "probe" else subject
    if source != "probe" and not any(r.requests for r in agg.series):
        return None
    return series_drift(agg.series, key).threshold_value


def drift_text(value: float) -> str:
    """A drift threshold's actual, in percent to 3 significant digits and at most 3 decimals: '423 %',
    '38.2 %', '9.96 %', '0.123 %' (a change of 423.484 % is not known to a thousandth)."""
    pct = 100.0 * value
    if pct == 0.0:
        return "0 %"
    decimals = min(3, max(0, 2 - math.floor(math.log10(abs(pct)))))
    return f"{pct:,.{decimals}f} %"

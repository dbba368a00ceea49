"""How a measured figure in the script's own unit reads (pure): three significant digits, and a duration
in the unit that keeps it readable when the metric's name says it is in milliseconds (``*_ms``).

One function for every place that shows a custom trend's figure: the console summary and ``loadpulse
compare`` (outputs) and the threshold verdict lines (thresholds, a pure core below outputs: hence here).
The HTML report does the same in ``outputs/static/report.js`` (``trendValue``).
"""

from __future__ import annotations

import math

NO_DATA = "\u2013"  # an en dash
"""Shown where nothing was measured: a latency of no requests is unknown, not 0 µs."""
MS_SUFFIX = "_ms"
"""A custom metric whose name ends so holds milliseconds (``ws_push_gap_ms``, ``queue_wait_ms``)."""


def fmt_significant(x: float | None, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, never in scientific notation for values a person meets
    (``0.00146``, ``12.3``, ``424``); whole numbers from 1,000 on keep every digit, with separators."""
    if x is None:
        return NO_DATA
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude < -4:
        return f"{x:.{digits}g}"  # below 0.0001, leading zeros would hide the digits that matter
    decimals = max(0, digits - 1 - magnitude)
    rounded = round(abs(x), decimals)
    if decimals and math.floor(math.log10(rounded)) > magnitude:
        decimals -= 1  # 9.996 rounds to 10.0, not 10.00: the magnitude grew by the rounding
    return f"{x:,.{decimals}f}"


def fmt_ms_significant(ms: float | None, digits: int = 3) -> str:
    """A duration given in ms, in the unit that keeps it readable: ``1.46 µs``, ``12.3 ms``, ``4.24 s``."""
    if ms is None:
        return NO_DATA
    if not math.isfinite(ms) or ms == 0:
        return f"{fmt_significant(ms, digits)} ms"
    size = float(f"{abs(ms):.{digits}g}")  # the unit of the value as shown: 999.6 ms is 1.00 s
    if size >= 1000:
        return f"{fmt_significant(ms / 1000, digits)} s"
    if size >= 1:
        return f"{fmt_significant(ms, digits)} ms"
    return f"{fmt_significant(ms * 1000, digits)} µs"


def trend_value(name: str, value: float | None) -> str:
    """One figure of the custom trend ``name``: a duration when the name ends in ``_ms``."""
    return fmt_ms_significant(value) if name.endswith(MS_SUFFIX) else fmt_significant(value)

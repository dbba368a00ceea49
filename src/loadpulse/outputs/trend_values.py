"""How a custom trend's figures read in the console (pure): three significant digits, milliseconds shown
as a duration when the metric's name says so (``*_ms``), and "no data" for a trend that got no value.

The HTML report does the same in ``static/report.js`` (``trendValue``); the Summary JSON keeps the exact
numbers.
"""

from __future__ import annotations

import math
from typing import Any

from loadpulse.results.format import NO_DATA, fmt_count

NO_VALUES = "no data"
"""A trend that recorded nothing: its min and max are not 0, they do not exist."""
MS_SUFFIX = "_ms"
TREND_FIELDS = ("min", "p50", "p95", "max")
"""The figures a console row shows (the JSON has mean, p90, p99 and p99.9 too)."""


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
    """One figure of the trend ``name``: a duration when the name ends in ``_ms``."""
    return fmt_ms_significant(value) if name.endswith(MS_SUFFIX) else fmt_significant(value)


def trend_text(name: str, block: dict[str, Any]) -> str:
    """A trend's console cell from its Summary JSON block: ``min 1.46 µs  p50 …  (n=1,234)``, or
    ``no data`` when it recorded no value (its figures would read as zeros)."""
    if not block.get("count"):
        return NO_VALUES
    figures = "  ".join(f"{k} {trend_value(name, block.get(k))}" for k in TREND_FIELDS)
    return f"{figures}  (n={fmt_count(block['count'])})"

"""How a custom trend's figures read in the console (pure): each figure as
:func:`~loadpulse.metrics.figure_text.trend_value` writes it (three significant digits, ``*_ms`` names as
durations, as the threshold verdicts do), and "no data" for a trend that got no value.

The HTML report does the same in ``static/report.js`` (``trendValue``); the Summary JSON keeps the exact
numbers.
"""

from __future__ import annotations

from typing import Any

from loadpulse.metrics.figure_text import trend_value
from loadpulse.results.format import fmt_count

NO_VALUES = "no data"
"""A trend that recorded nothing: its min and max are not 0, they do not exist."""
TREND_FIELDS = ("min", "p50", "p95", "max")
"""The figures a console row shows (the JSON has mean, p90, p99 and p99.9 too)."""


def trend_text(name: str, block: dict[str, Any]) -> str:
    """A trend's console cell from its Summary JSON block: ``min 1.46 µs  p50 …  (n=1,234)``, or
    ``no data`` when it recorded no value (its figures would read as zeros)."""
    if not block.get("count"):
        return NO_VALUES
    figures = "  ".join(f"{k} {trend_value(name, block.get(k))}" for k in TREND_FIELDS)
    return f"{figures}  (n={fmt_count(block['count'])})"

"""Parsing human quantities given on the command line (pure)."""

from __future__ import annotations

import re

from loadpulse.errors import BadInput

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)")
_UNIT_S = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, what: str = "duration", allow_zero: bool = False) -> float:
    """Seconds in '30s', '1m30s', '500ms', '2h' or a bare number of seconds; BadInput otherwise."""
    raw = text.strip()
    if raw.startswith("-") and _DURATION_PART.fullmatch(raw[1:]):
        raise BadInput(f"{what} {text!r} must be greater than zero")
    try:
        value = float(raw)
    except ValueError:
        pos, total = 0, 0.0
        for m in _DURATION_PART.finditer(raw):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _UNIT_S[m.group(2)]
            pos = m.end()
        if pos != len(raw) or not raw:
            raise BadInput(
                f"{what} {text!r} is not a duration: write it like 30s, 1m30s, 500ms or 2h"
            ) from None
        value = total
    if value != value or value in (float("inf"), float("-inf")):
        raise BadInput(f"{what} {text!r} is not a finite duration")
    if value < 0 or (value == 0 and not allow_zero):
        raise BadInput(f"{what} {text!r} must be greater than zero")
    return value


def duration_value(value: object, what: str) -> float:
    """Seconds in a scenario file's duration: a number of seconds (not negative) or text like '100ms'."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadInput(f"{what} must be a duration like 100ms, not {value!r}")
    if isinstance(value, int | float):
        if value < 0 or value != value or value == float("inf"):
            raise BadInput(f"{what} {value!r} must be a finite duration, not negative")
        return float(value)
    return parse_duration(value, what, allow_zero=True)

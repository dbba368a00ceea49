"""Human formatting of numbers shared by the terminal outputs, and the escaping of the names they print
(pure)."""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

from loadpulse.metrics.figure_text import NO_DATA as NO_DATA  # one dash for "nothing measured" everywhere


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return NO_DATA
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.2f} ms"
    return f"{ms * 1000:.0f} µs"


def fmt_count(n: float) -> str:
    return f"{n:,.0f}"


def fmt_number(x: float | None) -> str:
    """A measured value as a person copies it: thousands separators, never scientific notation, at most
    three decimals (and as many significant digits as a small value needs)."""
    if x is None:
        return NO_DATA
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == int(x) and abs(x) < 1e18:
        return f"{int(x):,}"
    if abs(x) >= 1:
        return f"{x:,.3f}".rstrip("0").rstrip(".")
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{x:.3g}"


def fmt_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


def fmt_duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0, DEL, C1, and the bidirectional embeddings, overrides and isolates: U+202E turns the rest of a line
around on screen, so a name could show as another ("Trojan Source")."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def control_safe(text: str) -> str:
    """``text`` with every control character (C0, DEL, C1; ESC and newline among them; bidi overrides)
    written as its escape (``\\x1b``, ``\\n``, ``\\u202e``): a name chosen by a scenario cannot clear
    the screen, move the cursor, turn a line around or start a line of its own (a fake ``verdict PASS``)
    on the terminal that shows it."""
    return _CONTROL.sub(_visible, text)


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_safe(obj: Any) -> Any:
    """``obj`` (JSON-like) with the bidirectional controls in its strings written as escapes: a page shows
    text as written (HTML escapes the rest), but U+202E there still turns a name around."""
    if isinstance(obj, str):
        return _BIDI.sub(_visible, obj) if _BIDI.search(obj) else obj
    if isinstance(obj, dict):
        return {bidi_safe(k): bidi_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [bidi_safe(v) for v in obj]
    return obj


def markup_safe(obj: Any) -> Any:
    """``obj`` (JSON-like) with every string made safe to print, keys included: control characters escaped
    (:func:`control_safe`) and rich markup escaped, so a request name, URL or check name holding
    ``[redacted]`` or ``[bold]`` is shown as written, not taken as a style."""
    if isinstance(obj, str):
        return escape(control_safe(obj))
    if isinstance(obj, dict):
        return {escape(control_safe(k)) if isinstance(k, str) else k: markup_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [markup_safe(v) for v in obj]
    return obj

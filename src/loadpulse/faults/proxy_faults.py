"""What a fault proxy injects, parsed from the user's spellings (pure: no I/O, no clock).

One ``ProxyFaults`` value is the whole state of a proxy: the CLI flags, the control API's JSON body and a
scenario's ``faults`` entry all parse into it with ``parse_proxy_faults``, and ``FaultProxy.apply`` swaps
it in while connections stay open.

Keys (the same in flags, JSON and scenarios; ``-`` and ``_`` are interchangeable):

- ``latency``, ``jitter``: durations (``200ms``, or a number of seconds, at most 1h). Each chunk of data
  is delayed by ``latency ± jitter`` (uniform), never reordered within a connection.
- ``direction``: which flow latency, jitter and bandwidth apply to: ``down`` (upstream → client, the
  default, as toxiproxy), ``up`` (client → upstream) or ``both``.
- ``bandwidth``: a rate with its unit, bits (``1mbit``, ``512kbit/s``) or bytes (``100kB/s``, ``1MB/s``),
  decimal prefixes; a bare number is bits per second. ``bps`` spellings are refused: ``tc`` reads
  ``mbps`` as megabytes, everyone else as megabits.
- ``reset``: a share of connections (``5%`` or ``0.05``) reset with a real RST at their next data.
- ``drop``: a share of new connections accepted and reset at once, never forwarded upstream.
- ``stall``: ``true`` = new connections are accepted, read and discarded, never answered (a half-open
  peer); open connections hold their data and FINs each way until the stall ends, losing nothing.
- ``slow_close``: a duration (at most 1h) by which a close (FIN) is passed on late.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal

from loadpulse.errors import BadInput
from loadpulse.units import duration_value

Direction = Literal["down", "up", "both"]
DIRECTIONS: tuple[Direction, ...] = ("down", "up", "both")
PROXY_FAULT_KEYS = frozenset(
    {"latency", "jitter", "direction", "bandwidth", "reset", "drop", "stall", "slow_close"}
)
# A fault lasts the run's length at most; a longer one is a typo (99999h), and 1e308 s overflows the
# loop's timers. An hour is longer than any run that means it.
MAX_DURATION_S = 3600.0
MIN_RATE_BPS = 8.0


class BadFault(BadInput, ValueError):
    """A fault value the user wrote wrong: a ValueError for library callers, BadInput (exit 2) for the CLI."""


@dataclass(frozen=True)
class ProxyFaults:
    """The faults one proxy injects now; the default value injects nothing."""

    latency_s: float = 0.0
    jitter_s: float = 0.0
    direction: Direction = "down"
    bandwidth_bps: float | None = None  # bits per second; None = unlimited
    reset_share: float = 0.0
    drop_share: float = 0.0
    stall: bool = False
    slow_close_s: float = 0.0

    @property
    def active(self) -> bool:
        return self != ProxyFaults(direction=self.direction)

    @property
    def shapes(self) -> bool:
        """True when data must be queued (delayed or paced) rather than forwarded at once."""
        return self.latency_s > 0 or self.jitter_s > 0 or self.bandwidth_bps is not None

    def applies(self, flow: Literal["down", "up"]) -> bool:
        """Whether latency, jitter and bandwidth act on data flowing that way."""
        return self.direction in (flow, "both")

    def describe(self) -> str:
        """One line for the console and the timeline: 'latency 200ms ±50ms (down), reset 5%'."""
        parts: list[str] = []
        if self.latency_s or self.jitter_s:
            jitter = f" ±{_seconds(self.jitter_s)}" if self.jitter_s else ""
            parts.append(f"latency {_seconds(self.latency_s)}{jitter} ({self.direction})")
        if self.bandwidth_bps is not None:
            parts.append(f"bandwidth {_rate(self.bandwidth_bps)} ({self.direction})")
        if self.reset_share:
            parts.append(f"reset {_share(self.reset_share)}")
        if self.drop_share:
            parts.append(f"drop {_share(self.drop_share)}")
        if self.stall:
            parts.append("stall")
        if self.slow_close_s:
            parts.append(f"slow close {_seconds(self.slow_close_s)}")
        return ", ".join(parts) or "no faults"

    def to_mapping(self) -> dict[str, object]:
        """JSON-ready keys that ``parse_proxy_faults`` reads back equal (seconds, shares, bit/s)."""
        return {
            "latency": self.latency_s,
            "jitter": self.jitter_s,
            "direction": self.direction,
            "bandwidth": self.bandwidth_bps,
            "reset": self.reset_share,
            "drop": self.drop_share,
            "stall": self.stall,
            "slow_close": self.slow_close_s,
        }


NO_FAULTS = ProxyFaults()


def parse_proxy_faults(mapping: Mapping[str, object], where: str = "fault") -> ProxyFaults:
    """A ``ProxyFaults`` from user keys; ``BadFault`` (a ValueError) naming the key for anything wrong.

    ``None`` for a key means "off", so a JSON ``null`` clears one setting. Keys may be written as flags
    (``--slow-close``); with ``where=""`` messages start with the key itself, as the CLI wants.
    """
    values: dict[str, object] = {}
    for raw_key, value in mapping.items():
        key = str(raw_key).lstrip("-").replace("-", "_")
        if key not in PROXY_FAULT_KEYS:
            known = ", ".join(sorted(PROXY_FAULT_KEYS))
            prefix = f"{where}: " if where else ""
            raise BadFault(f"{prefix}unknown proxy fault {_shown(raw_key)} (known: {known})")
        if value is None:
            continue
        what = f"{where} {raw_key}" if where else str(raw_key)
        if not isinstance(value, bool | int | float | str):  # a list or an object: say so, briefly
            raise BadFault(f"{what} must be a number or a string, not {_shown(value)}")
        if key in ("latency", "jitter", "slow_close"):
            values[f"{key}_s"] = _duration(value, what)
        elif key == "direction":
            if value not in DIRECTIONS:
                raise BadFault(f"{what} must be down, up or both, not {value!r}")
            values["direction"] = value
        elif key == "bandwidth":
            values["bandwidth_bps"] = parse_rate(value, what)
        elif key in ("reset", "drop"):
            values[f"{key}_share"] = parse_share(value, what)
        else:
            values["stall"] = _flag(value, what)
    return ProxyFaults(**values)  # type: ignore[arg-type]


def combine(a: ProxyFaults, b: ProxyFaults) -> ProxyFaults:
    """Two faults on one proxy at once: each setting may come from one of them only.

    Two latencies (or two bandwidths, resets …) at the same time contradict each other, and so do
    latency down in one and bandwidth up in the other: ``BadFault`` names both faults.
    """
    out: dict[str, object] = {}
    default = ProxyFaults()
    for f in fields(ProxyFaults):
        if f.name == "direction":
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        da, db = va != getattr(default, f.name), vb != getattr(default, f.name)
        if da and db:
            raise BadFault(
                f"overlapping proxy faults contradict each other: '{a.describe()}' and "
                f"'{b.describe()}' both set {f.name.removesuffix('_s').removesuffix('_share')}"
            )
        if db:
            out[f.name] = vb
    if a.shapes and b.shapes and a.direction != b.direction:
        raise BadFault(
            f"overlapping proxy faults contradict each other: '{a.describe()}' and '{b.describe()}' "
            "shape different directions"
        )
    if a.shapes or b.shapes:
        direction = a.direction if a.shapes else b.direction
    else:  # a direction alone shapes nothing: keep whichever was written
        direction = a.direction if a.direction != default.direction else b.direction
    return replace(a, direction=direction, **out)  # type: ignore[arg-type]


_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]?)(bit|b)(?:/s)?", re.IGNORECASE)
_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9}


def parse_rate(value: object, what: str = "bandwidth") -> float:
    """Bits per second from '1mbit', '512kbit/s', '100kB/s', '1MB/s' (B = bytes) or a number of bit/s."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadFault(f"{what} must be a rate like 1mbit or 100kB/s, not {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[\d.]+\s*[kmg]?bps", text, re.IGNORECASE):
            raise BadFault(f"{what} {value!r} is ambiguous (bits or bytes?): write 1mbit or 125kB/s")
        m = _RATE.fullmatch(text)
        if m is None:
            raise BadFault(f"{what} {value!r} is not a rate: write it like 1mbit, 512kbit/s or 100kB/s")
        number, prefix, unit = float(m.group(1)), m.group(2).lower(), m.group(3)
        if unit == "b":
            raise BadFault(f"{what} {value!r} is ambiguous (bits or bytes?): write 1mbit or 125kB/s")
        bits = number * _PREFIX[prefix] * (8.0 if unit == "B" else 1.0)
    else:
        bits = float(value)
    if not math.isfinite(bits) or bits <= 0:
        raise BadFault(f"{what} {value!r} must be a rate greater than zero")
    if bits < MIN_RATE_BPS:  # slower than a byte a second: one segment would take hours
        raise BadFault(f"{what} {value!r} is under the minimum of 1B/s (8bit/s)")
    return bits


def parse_share(value: object, what: str = "share") -> float:
    """A share 0..1 from '5%' or a number 0..1; anything else (200%, 5) is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadFault(f"{what} must be a share like 5% or 0.05, not {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            share = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            raise BadFault(f"{what} {value!r} is not a share: write it like 5% or 0.05") from None
    else:
        share = float(value)
    if not (0.0 <= share <= 1.0):
        raise BadFault(f"{what} {value!r} must be between 0% and 100% (as 5% or 0.05)")
    return share


def _duration(value: object, what: str) -> float:
    try:
        seconds = duration_value(value, what)
    except BadInput as exc:
        raise BadFault(str(exc)) from None
    if seconds > MAX_DURATION_S:
        raise BadFault(f"{what} {_shown(value)} is over the maximum of {_seconds(MAX_DURATION_S)}")
    return seconds


def _shown(value: object) -> str:
    """A repr short enough for a one-line message, whatever the user sent."""
    return reprlib.repr(value)


def _flag(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # JSON's 1/0, as the strings "1"/"0" are
        return value == 1
    if isinstance(value, str) and value.strip().lower() in (
        "true",
        "yes",
        "on",
        "1",
        "false",
        "no",
        "off",
        "0",
    ):
        return value.strip().lower() in ("true", "yes", "on", "1")
    raise BadFault(f"{what} must be true or false, not {value!r}")


def _seconds(s: float) -> str:
    """'200ms', '1.5s', '2m30s', '1h': how the user would write it."""
    if s < 1:
        return f"{s * 1e3:g}ms"
    if s < 60:
        return f"{s:g}s"
    ms = round(s * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{ms / 1000:g}s" if ms else ""]
    return "".join(parts)


def _rate(bps: float) -> str:
    for factor, unit in ((1e9, "gbit"), (1e6, "mbit"), (1e3, "kbit")):
        if bps >= factor:
            return f"{bps / factor:g}{unit}/s"
    return f"{bps:g}bit/s"


def _share(share: float) -> str:
    return f"{share * 100:g}%"

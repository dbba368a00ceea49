"""A segment of a load: the share [start, end) of it one worker runs (k6's execution segments), pure.

Counts are split with floor(n * end) - floor(n * start), so the shares of segments that tile [0, 1) add up
to exactly n (no VU or iteration lost or doubled by rounding) and each is within 1 of n * length: what a
contiguous block of rows or ids wants (test-data feeds). Rates are scaled by the segment's length.

What a worker *runs* is cut by :class:`~loadpulse.profiles.worker_part.WorkerPart` (its segment among all
workers'): arrivals and VUs are dealt in stripes (:mod:`loadpulse.profiles.striping`), so the workers'
arrivals interleave and their VU counts add up at every moment of a ramp, not only at the stage ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from loadpulse.errors import BadInput

_COUNTS = ("vus", "max_vus", "pre_allocated_vus", "start_vus")
"""Profile fields that count VUs: split exactly."""
_RATES = ("rate", "start_rate")


@dataclass(frozen=True, slots=True)
class Segment:
    start: Fraction = Fraction(0)
    end: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 1:
            raise BadInput(f"segment {self}: needs 0 <= start < end <= 1")

    @classmethod
    def parse(cls, text: str) -> Segment:
        """'1/4:1/2' (fractions or decimals) -> the segment from a quarter to a half."""
        lo, sep, hi = text.partition(":")
        try:
            if not sep:
                raise ValueError
            return cls(Fraction(lo.strip()), Fraction(hi.strip()))
        except (ValueError, ZeroDivisionError):
            raise BadInput(f"segment {text!r} is not START:END, e.g. 0:1/4 or 0.25:0.5") from None

    @classmethod
    def split(cls, n: int) -> list[Segment]:
        """``n`` equal segments tiling the whole load."""
        if n < 1:
            raise BadInput(f"cannot split a load into {n} segments")
        return [cls(Fraction(i, n), Fraction(i + 1, n)) for i in range(n)]

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == 1

    @property
    def length(self) -> Fraction:
        return self.end - self.start

    def share(self, n: int) -> int:
        """This segment's part of ``n`` whole things (VUs, iterations)."""
        return math.floor(n * self.end) - math.floor(n * self.start)

    def scale(self, rate: float) -> float:
        return float(rate * self.length)

    def profile_config(self, config: dict[str, Any], family: str) -> dict[str, Any] | None:
        """A profile's config (as ``ProfileConfig.describe`` gives it) cut to this segment, or None when the
        segment gets nothing of it (fewer VUs than segments): that worker runs no load for it.

        The numbers only (floor rule, rates scaled): a profile built from them alone runs a scaled copy
        of the load. To run a worker's part exactly, cut the profile with ``WorkerPart.cut``."""
        if self.whole:
            return {k: v for k, v in config.items() if k != "stage_unit"}
        out = {k: v for k, v in config.items() if k != "stage_unit"}
        for key in _COUNTS:
            if isinstance(out.get(key), int):
                # An open profile's VUs are a cap, not load: every worker keeps at least one.
                out[key] = self.share(out[key]) if family == "closed" else max(1, self.share(out[key]))
        for key in _RATES:
            if isinstance(out.get(key), int | float):
                out[key] = self.scale(out[key])
        if out.get("profile") == "shared-iterations":
            out["iterations"] = self.share(int(out["iterations"]))
        stages = out.get("stages")
        if stages:
            out["stages"] = [
                {
                    **st,
                    "target": self.scale(st["target"]) if family == "open" else self.share(int(st["target"])),
                }
                for st in stages
            ]
        counted = [out[k] for k in ("vus", "iterations") if isinstance(out.get(k), int)]
        if any(c == 0 for c in counted) or (family == "open" and not _any_rate(out)):
            return None
        if out.get("profile") == "ramping-vus" and not any(st["target"] for st in out["stages"]):
            return None
        return out

    def __str__(self) -> str:
        return f"{self.start}:{self.end}"


def _any_rate(config: dict[str, Any]) -> bool:
    return bool(
        config.get("rate") or config.get("start_rate") or any(st["target"] for st in config.get("stages", ()))
    )

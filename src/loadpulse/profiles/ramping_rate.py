"""ramping-rate: arrivals per second follow linear stages (pure).

The arrival schedule inverts the cumulative count: with the rate linear in each stage the count is
quadratic there, so arrival k's time is the root of ``a0 + r0*u + s*u^2/2 = k`` in the stage holding it.
"""

from __future__ import annotations

import bisect
import math
from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import NS_PER_S, OpenProfile, Stage, Stages, interpolate, total_duration


class RampSchedule:
    """Arrivals whose rate ramps linearly from ``start_rate`` through ``stages``, as an
    :class:`~loadpulse.profiles.base.ArrivalSchedule` (the engine paces this object itself)."""

    __slots__ = ("_counts", "_segments", "_starts")

    def __init__(self, start_rate: float, stages: tuple[Stage, ...]) -> None:
        out, t, count, rate = [], 0.0, 0.0, start_rate
        for st in stages:
            d = st.duration
            if d > 0:
                slope = (st.target - rate) / d
                out.append((t, count, rate, slope, d))
                count += rate * d + slope * d * d / 2
                t += d
            rate = st.target
        out.append((t, count, 0.0, 0.0, 0.0))  # sentinel: the end
        self._segments: list[tuple[float, float, float, float, float]] = out
        """(t_start, count_at_start, rate_at_start, slope, duration) per stage."""
        self._counts = [s[1] for s in out]
        self._starts = [s[0] for s in out]

    def arrival_ns(self, k: int) -> int | None:
        segs = self._segments
        i = bisect.bisect_right(self._counts, k) - 1
        if i >= len(segs) - 1 or i < 0:
            return None
        t0, a0, r0, slope, d = segs[i]
        need = k - a0
        if abs(slope) < 1e-12:
            u = need / r0 if r0 > 0 else d
        else:
            disc = max(r0 * r0 + 2 * slope * need, 0.0)
            u = (math.sqrt(disc) - r0) / slope
        return round((t0 + min(max(u, 0.0), d)) * NS_PER_S)

    def arrivals_by(self, elapsed_ns: int) -> int:
        t = elapsed_ns / NS_PER_S
        segs = self._segments
        i = max(bisect.bisect_right(self._starts, t) - 1, 0)
        t0, a0, r0, slope, d = segs[i]
        u = min(t - t0, d)
        count = a0 + r0 * u + slope * u * u / 2
        return max(0, min(math.floor(count) + 1, math.ceil(self._counts[-1])))


class RampingRate(OpenProfile):
    name: ClassVar[str] = "ramping-rate"
    summary: ClassVar[str] = "arrivals/s ramp linearly through STAGES (duration:rate) from START_RATE"
    stage_unit: ClassVar[str | None] = "iterations/s"

    start_rate: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    stages: Stages

    @property
    def planned_s(self) -> float:
        return total_duration(self.stages)

    def own_schedule(self) -> RampSchedule:
        return RampSchedule(self.start_rate, self.stages)

    def rate_at(self, t_s: float) -> float:
        value = interpolate(self.start_rate, self.stages, t_s)
        return 0.0 if value is None else value

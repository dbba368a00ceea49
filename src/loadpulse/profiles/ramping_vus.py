"""ramping-vus: the VU count follows linear stages from a start value (pure).

Between stage boundaries the count is interpolated and floored, so "0 -> 500 over 60 s" adds a VU every
0.12 s rather than in coarse steps; a stage of equal start and target holds.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import ClosedProfile, Stages, floor_eps, interpolate, total_duration


class RampingVus(ClosedProfile):
    name: ClassVar[str] = "ramping-vus"
    summary: ClassVar[str] = "VUs ramp linearly through STAGES (duration:target) from START_VUS"
    stage_unit: ClassVar[str | None] = "VUs"

    start_vus: Annotated[int, Field(ge=0)] = 0
    stages: Stages

    @property
    def planned_s(self) -> float:
        return total_duration(self.stages)

    @property
    def peak_vus(self) -> int:
        return max(self.start_vus, *(floor_eps(st.target) for st in self.stages))

    def vus_at(self, t_s: float) -> int:
        cut = self.cut
        if cut is not None:
            # The worker's stripe of the whole ramp's VUs, not a ramp of its own: at every moment the
            # workers' counts add up to the single process's, and none drops a VU while the total grows.
            assert isinstance(cut.whole, ClosedProfile)
            return cut.stripe.count(cut.whole.vus_at(t_s))
        if t_s < 0:
            return 0
        value = interpolate(self.start_vus, self.stages, t_s)
        return 0 if value is None else floor_eps(value)

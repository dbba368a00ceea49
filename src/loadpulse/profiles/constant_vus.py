"""constant-vus: a fixed number of VUs looping for a fixed time (pure)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import ClosedProfile, PositiveSeconds


class ConstantVus(ClosedProfile):
    name: ClassVar[str] = "constant-vus"
    summary: ClassVar[str] = "VUS virtual users loop over the scenario for DURATION"

    vus: Annotated[int, Field(gt=0)] = 10
    duration: PositiveSeconds = 30.0

    @property
    def planned_s(self) -> float:
        return self.duration

    @property
    def peak_vus(self) -> int:
        return self.vus

    def vus_at(self, t_s: float) -> int:
        return self.vus if 0 <= t_s < self.duration else 0

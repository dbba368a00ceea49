"""shared-iterations and per-vu-iterations: a fixed amount of work rather than a fixed time (pure).

Both keep their VUs busy until the budget is spent or ``max_duration`` passes, whichever comes first.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from loadpulse.profiles.base import ClosedProfile, PositiveSeconds

DEFAULT_MAX_DURATION_S = 600.0


class SharedIterations(ClosedProfile):
    name: ClassVar[str] = "shared-iterations"
    summary: ClassVar[str] = (
        "VUS virtual users share ITERATIONS in total (e.g. 1000 requests at 50 concurrent)"
    )

    vus: Annotated[int, Field(gt=0)] = 10
    iterations: Annotated[int, Field(gt=0)] = 100
    max_duration: PositiveSeconds = DEFAULT_MAX_DURATION_S

    @property
    def planned_s(self) -> float:
        return self.max_duration

    @property
    def peak_vus(self) -> int:
        return min(self.vus, self.iterations)

    def vus_at(self, t_s: float) -> int:
        return self.peak_vus if 0 <= t_s < self.max_duration else 0

    @property
    def shared_iterations(self) -> int | None:
        return self.iterations


class PerVuIterations(ClosedProfile):
    name: ClassVar[str] = "per-vu-iterations"
    summary: ClassVar[str] = "each of VUS virtual users runs ITERATIONS iterations"

    vus: Annotated[int, Field(gt=0)] = 10
    iterations: Annotated[int, Field(gt=0)] = 10
    max_duration: PositiveSeconds = DEFAULT_MAX_DURATION_S

    @property
    def planned_s(self) -> float:
        return self.max_duration

    @property
    def peak_vus(self) -> int:
        return self.vus

    def vus_at(self, t_s: float) -> int:
        return self.vus if 0 <= t_s < self.max_duration else 0

    @property
    def iterations_per_vu(self) -> int | None:
        return self.iterations

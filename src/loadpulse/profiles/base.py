"""The one small interface every load profile implements (pure: no clock, no I/O).

A profile is a frozen, validated config that answers questions about time; the engine owns the clock and
asks. Two families, like k6's executors:

- **closed** (VU-based): ``vus_at(t)`` says how many virtual users should be running at ``t`` seconds into
  the scenario; each VU runs iterations back to back. Iteration budgets (shared or per VU) end it early.
- **open** (arrival-based): ``arrival_ns(k)`` says when iteration ``k`` (0-based) is due, timed from the
  scenario start, never from the previous arrival, and ``arrivals_by(t)`` how many are due by ``t``;
  :func:`pace` turns that into "how many are due now and how long until the next". An arrival that finds
  no free VU is dropped by the engine, not delayed.

A profile may be one worker's cut of a larger run (:mod:`loadpulse.profiles.worker_part`): its config then
holds the worker's numbers, and its :class:`ProfileCut` the whole profile and the worker's stripe, from
which its VU counts, arrivals and VU ids are taken so that the workers together run exactly the whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal, Protocol, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from loadpulse.bounds import MAX_REQUESTS, MAX_VUS, MIN_RATE, check_count, check_rate, check_seconds
from loadpulse.errors import BadInput
from loadpulse.profiles.striping import Stripe, striped
from loadpulse.units import parse_duration

DEFAULT_GRACEFUL_STOP_S = 30.0
NS_PER_S = 1_000_000_000


def _duration(value: Any) -> Any:
    """Accept '30s'-style strings and bare numbers of seconds (pydantic reports ValueError per field)."""
    if isinstance(value, str):
        try:
            return parse_duration(value, "duration", allow_zero=True)
        except BadInput as exc:
            raise ValueError(str(exc)) from None
    return value


Seconds = Annotated[float, BeforeValidator(_duration), Field(ge=0, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, BeforeValidator(_duration), Field(gt=0, allow_inf_nan=False)]


STAGE_UNITS = {"vus": "VUs", "/s": "iterations/s"}
"""What a stage's TARGET counts, by the suffix that says it on the command line (``30s:100vus``,
``30s:100/s``); without a suffix it is the profile's own unit."""
_STAGE_UNIT = re.compile(r"^(?P<stage>.*?)\s*(?P<unit>vus?|/s)$", re.IGNORECASE)


def split_stage_unit(text: str) -> tuple[str, str | None]:
    """'30s:100vus' -> ('30s:100', 'vus'); '30s:100/s' -> ('30s:100', '/s'); '30s:100' -> (it, None)."""
    m = _STAGE_UNIT.match(text.strip())
    if m is None or ":" not in m.group("stage"):
        return text, None
    unit = m.group("unit").lower()
    return m.group("stage"), "/s" if unit == "/s" else "vus"


def parse_stage(value: Any) -> Any:
    """'30s:100' (duration:target) as written on the command line, or a {duration, target} mapping."""
    if isinstance(value, str):
        dur, sep, target = value.partition(":")
        if not sep:
            raise ValueError(f"stage {value!r} is not DURATION:TARGET; write it like 30s:100")
        try:
            return {"duration": dur, "target": float(target)}
        except ValueError:
            raise ValueError(f"stage {value!r}: target {target!r} is not a number") from None
    return value


class Stage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    duration: Seconds
    target: Annotated[float, Field(ge=0, allow_inf_nan=False)]


StageInput = Annotated[Stage, BeforeValidator(parse_stage)]


def _takes_time(stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
    if total_duration(stages) <= 0:
        raise ValueError("the stages add up to no time at all")
    return stages


def total_duration(stages: tuple[Stage, ...]) -> float:
    return sum(st.duration for st in stages)


Stages = Annotated[tuple[StageInput, ...], Field(min_length=1), AfterValidator(_takes_time)]
"""The ramping profiles' stages: at least one, adding up to some time."""


@dataclass(frozen=True, slots=True)
class ProfileCut:
    """What makes a worker's cut of a profile exact: the whole profile and which of its things are this
    worker's (arrivals and VUs, by run-wide index)."""

    whole: ProfileConfig
    stripe: Stripe
    first_vu_id: int = 1
    """The run-wide ``ctx.vu.id`` of the scenario's first VU (the whole plan's numbering)."""


class ProfileConfig(BaseModel):
    """Fields every profile shares. Subclasses add their own and implement the family's questions."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _cut: ProfileCut | None = PrivateAttr(default=None)

    family: ClassVar[Literal["closed", "open"]]
    name: ClassVar[str]
    summary: ClassVar[str]
    stage_unit: ClassVar[str | None] = None
    """What the targets of its ``stages`` count ('VUs', 'iterations/s'); None without stages."""

    start: Seconds = 0.0
    """Offset from the run start (several scenarios in one run start at different times)."""
    graceful_stop: Seconds = DEFAULT_GRACEFUL_STOP_S
    """How long running iterations may finish once the profile's time is up before they are interrupted."""

    @property
    def planned_s(self) -> float:
        """How long the profile schedules work, from its own start (excluding graceful stop)."""
        raise NotImplementedError

    @property
    def peak_vus(self) -> int:
        """The most VUs the profile can need at once."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _within_bounds(self, info: ValidationInfo) -> Self:
        # What one process cannot honour is refused here, before anything is allocated (loadpulse.bounds).
        # A worker's cut may be a sliver of a valid whole rate: below MIN_RATE is its share, not a typo.
        sliver = MIN_RATE if isinstance(info.context, dict) and info.context.get("cut") else 0.0
        check_count(self.peak_vus, "VUs", MAX_VUS, spread=not sliver)  # a worker's part: one process's
        check_seconds(self.start + self.planned_s, "the profile's duration")
        for budget in ("iterations", "shared_iterations"):
            value = getattr(self, budget, None)
            if isinstance(value, int):
                check_count(value, budget, MAX_REQUESTS)
        if self.family == "open":
            stages = getattr(self, "stages", ())
            for rate in (
                getattr(self, "rate", None),
                getattr(self, "start_rate", None),
                *(st.target for st in stages),
            ):
                if rate and rate >= sliver:
                    check_rate(rate, "rate")
        return self

    def describe(self) -> dict[str, Any]:
        """The config as plain data (for summaries and reports), with the unit of its stages if any."""
        unit = {"stage_unit": self.stage_unit} if self.stage_unit else {}
        return {"profile": self.name, **self.model_dump(mode="json"), **unit}

    @classmethod
    def cut_to(cls, config: Mapping[str, Any], cut: ProfileCut) -> Self:
        """A worker's cut: ``config`` (its own numbers, validated like any profile) bound to ``cut``."""
        profile = cls.model_validate(config, context={"cut": True})
        profile._cut = cut
        return profile

    @property
    def cut(self) -> ProfileCut | None:
        """The whole run's profile and this worker's stripe of it; None when this is the whole run."""
        return self._cut

    def vu_id(self, first_id: int, j: int) -> int:
        """``ctx.vu.id`` of this process's ``j``-th VU (0-based) of the scenario whose VUs are numbered
        from ``first_id`` here; a worker's cut numbers them run-wide instead, so no two workers share one."""
        cut = self._cut
        return first_id + j if cut is None else cut.first_vu_id + cut.stripe.index(j)

    def vu_ids(self, first_id: int = 1) -> Sequence[int]:
        """Every ``ctx.vu.id`` this process's VUs of the scenario can have (one per VU it may create)."""
        cut = self._cut
        if cut is None:
            return range(first_id, first_id + self.peak_vus)
        return [cut.first_vu_id + cut.stripe.index(j) for j in range(self.peak_vus)]


class ClosedProfile(ProfileConfig):
    family: ClassVar[Literal["closed", "open"]] = "closed"
    graceful_ramp_down: Seconds = DEFAULT_GRACEFUL_STOP_S
    """How long a VU retired by a ramp-down may finish its iteration."""

    def vus_at(self, t_s: float) -> int:
        """VUs that should be running ``t_s`` seconds after the profile's start (0 past the end)."""
        raise NotImplementedError

    @property
    def iterations_per_vu(self) -> int | None:
        return None

    @property
    def shared_iterations(self) -> int | None:
        return None


class OpenProfile(ProfileConfig):
    family: ClassVar[Literal["closed", "open"]] = "open"
    pre_allocated_vus: Annotated[int, Field(gt=0)] | None = None
    """VUs made ready (connection open) before the clock starts; more are created on demand up to
    max_vus. Default: max_vus, so a generator hiccup never turns into a storm of new connections."""
    max_vus: Annotated[int, Field(gt=0)] = 100
    """At most this many iterations run at once; an arrival finding all busy is dropped."""

    @property
    def peak_vus(self) -> int:
        return self.max_vus

    @property
    def initial_vus(self) -> int:
        return min(self.pre_allocated_vus or self.max_vus, self.max_vus)

    def own_schedule(self) -> ArrivalSchedule:
        """The arrivals this config describes, on its own (subclasses: the schedule's arithmetic)."""
        raise NotImplementedError

    def arrival_schedule(self) -> ArrivalSchedule:
        """The arrivals this process runs: the config's own schedule, or for a worker's cut its stripe
        of the whole run's. What the engine paces: no per-arrival indirection for a whole run."""
        cut = self._cut
        if cut is None:
            return self.own_schedule()
        assert isinstance(cut.whole, OpenProfile)
        return striped(cut.whole.arrival_schedule(), cut.stripe)

    @cached_property
    def _schedule(self) -> ArrivalSchedule:
        return self.arrival_schedule()

    def arrival_ns(self, k: int) -> int | None:
        """When arrival ``k`` (0-based) is due, in ns from the profile's start; None if never."""
        return self._schedule.arrival_ns(k)

    def arrivals_by(self, elapsed_ns: int) -> int:
        """How many arrivals are due by ``elapsed_ns`` (arithmetic: no walk over the arrivals)."""
        return self._schedule.arrivals_by(elapsed_ns)

    def arrival_s(self, k: int) -> float | None:
        """When arrival ``k`` is due, in seconds from the profile's start; None if never."""
        at = self.arrival_ns(k)
        return None if at is None else at / NS_PER_S

    def rate_at(self, t_s: float) -> float:
        """Arrivals per second wanted at ``t_s`` (for display)."""
        raise NotImplementedError


class ArrivalSchedule(Protocol):
    """What :func:`pace` needs of an open profile (or of the one-liner's steady rate)."""

    def arrival_ns(self, k: int) -> int | None: ...
    def arrivals_by(self, elapsed_ns: int) -> int: ...


def pace(
    schedule: ArrivalSchedule, elapsed_ns: int, started: int, limit: int | None = None
) -> tuple[int, int | None]:
    """(arrivals due now, ns until the next one) after ``started`` arrivals; None: no more will come.

    Like vegeta's pacer: a pure function of elapsed time and count, so a late caller gets every arrival it
    missed at once (each with its own intended time) instead of a schedule that drifts, and however far
    behind it is this costs the same few steps (the engine drops what it cannot start in one count).
    ``limit`` caps the total number of arrivals.
    """
    if elapsed_ns < 0:
        return 0, -elapsed_ns
    total = schedule.arrivals_by(elapsed_ns)
    # arrivals_by is arithmetic on floats; arrival_ns is the definition. Settle the boundary on it, so an
    # arrival is never handed out before its time nor waited for after it (a step or two at most).
    while total > 0 and _later(schedule.arrival_ns(total - 1), elapsed_ns):
        total -= 1
    while not _later(schedule.arrival_ns(total), elapsed_ns):
        total += 1
    if limit is not None:
        total = min(total, limit)
    n = max(0, total - started)
    after = started + n
    next_at = None if limit is not None and after >= limit else schedule.arrival_ns(after)
    return n, None if next_at is None else max(0, next_at - elapsed_ns)


def _later(at: int | None, elapsed_ns: int) -> bool:
    """True when an arrival at ``at`` (None: never) is not yet due at ``elapsed_ns``."""
    return at is None or at > elapsed_ns


def interpolate(start: float, stages: tuple[Stage, ...], t_s: float) -> float | None:
    """The linearly ramped value at ``t_s`` through ``stages`` from ``start``; None past the last stage."""
    value, t = start, 0.0
    for st in stages:
        if t_s < t + st.duration:
            return value + (st.target - value) * (t_s - t) / st.duration
        t += st.duration
        value = st.target
    return None


def floor_eps(x: float) -> int:
    """floor() that forgives float noise just below an integer (2.9999999 VUs are 3)."""
    return math.floor(x + 1e-9)

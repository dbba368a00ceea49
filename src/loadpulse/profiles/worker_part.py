"""One worker's part of a run, and profiles cut to it so that the workers together run exactly the whole.

A :class:`WorkerPart` is a worker's segment among the segments of all workers (k6's execution tuple). Cutting
a profile to it (:meth:`WorkerPart.cut`) gives the worker a profile of the same kind whose config holds its
own numbers (for display, for the per-process bounds, for the engine's sizing) and whose
:class:`~loadpulse.profiles.base.ProfileCut` keeps what exactness needs:

- **arrivals** (open profiles): the worker runs its stripe of the whole schedule, every arrival at the
  whole's time for it, so the workers' arrivals are the single process's, dealt out in turn;
- **VUs** (closed profiles): its stripe of the whole count, at every moment: a ramp's counts add up to the
  single process's and never go down in one worker while the total grows;
- **iteration budgets**: per-VU budgets follow the VUs; a shared budget is dealt over the VUs as evenly as
  it divides (VU ``v`` of ``P`` gets ``floor((v+1)I/P) - floor(vI/P)``), each worker taking its VUs' parts;
- **VU ids**: run-wide, from the scenario's first id and the worker's stripe of VU indices, so the ids of
  all workers' running VUs are at every moment the ids the single process would have running.

Open profiles keep at least one VU per worker that gets arrivals (their VUs are a cap, not load), so their
caps may add up to a little more than the whole's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from loadpulse.errors import BadInput
from loadpulse.profiles.base import ClosedProfile, OpenProfile, ProfileConfig, ProfileCut, floor_eps
from loadpulse.profiles.registry import validation_message
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import SegmentSequence, Stripe, striped


@dataclass(frozen=True, slots=True)
class WorkerPart:
    """Worker ``index`` of the workers whose segments are ``sequence``."""

    sequence: SegmentSequence = field(default_factory=SegmentSequence)
    index: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.index < len(self.sequence.segments):
            raise BadInput(
                f"worker {self.index} is not one of the {len(self.sequence.segments)} of {self.sequence}"
            )

    @classmethod
    def even(cls, index: int, count: int) -> WorkerPart:
        """Worker ``index`` (0-based) of ``count`` with equal shares."""
        return cls(SegmentSequence.even(count), index)

    @classmethod
    def of(cls, segment: Segment, sequence: SegmentSequence | None = None) -> WorkerPart:
        """The worker running ``segment`` of ``sequence`` (default: :meth:`SegmentSequence.around`)."""
        seq = sequence if sequence is not None else SegmentSequence.around(segment)
        return cls(seq, seq.index(segment))

    @property
    def segment(self) -> Segment:
        return self.sequence.segments[self.index]

    @property
    def count(self) -> int:
        """How many workers the run has."""
        return len(self.sequence.segments)

    @property
    def whole(self) -> bool:
        return self.segment.whole

    @property
    def stripe(self) -> Stripe:
        """Which of the run's numbered things (arrivals, VUs) are this worker's."""
        return self.sequence.stripe(self.index)

    def cut(self, profile: ProfileConfig, first_vu_id: int = 1) -> ProfileConfig | None:
        """``profile`` cut to this worker, its VUs numbered run-wide from ``first_vu_id``; None when the
        worker gets none of its load (more workers than VUs or arrivals). The whole run: ``profile``."""
        if self.whole:
            return profile
        config = _cut_config(profile, self)
        if config is None:
            return None
        try:
            return type(profile).cut_to(config, ProfileCut(profile, self.stripe, first_vu_id))
        except ValidationError as exc:
            raise BadInput(validation_message(exc, f"{profile.name} (segment {self.segment})")) from None

    def vu_ids(self, profile: ProfileConfig, first_vu_id: int = 1) -> Sequence[int]:
        """The run-wide ``ctx.vu.id`` values this worker's VUs of ``profile`` can take (none: no load)."""
        cut = self.cut(profile, first_vu_id)
        return () if cut is None else cut.vu_ids(first_vu_id)

    def __str__(self) -> str:
        return f"{self.segment} of {self.sequence}"


def vu_block(profile: ProfileConfig, sequence: SegmentSequence) -> int:
    """How many run-wide VU ids a scenario of ``profile`` takes: its peak, and for an open profile at
    least as many as it takes for every worker to hold one index (each keeps a VU)."""
    if isinstance(profile, OpenProfile):
        return max(profile.peak_vus, sequence.spread)
    return profile.peak_vus


def first_vu_ids(profiles: Sequence[ProfileConfig], sequence: SegmentSequence | None = None) -> list[int]:
    """The run-wide ``ctx.vu.id`` of each scenario's first VU, scenarios in plan order (as a single process
    numbers them: one block after the other, from 1)."""
    seq = sequence if sequence is not None else SegmentSequence()
    out, next_id = [], 1
    for p in profiles:
        out.append(next_id)
        next_id += vu_block(p, seq)
    return out


def load_measure(profile: ProfileConfig, part: WorkerPart | Stripe) -> tuple[int, int]:
    """How much of ``profile``'s load worker ``part`` (or its stripe) runs: (its amount, the whole run's),
    in iterations of a budget, arrivals of an open profile over its planned time, else VUs at the peak. The
    workers' amounts add up to the whole's, so amount / whole is a worker's real share (small counts split
    unevenly: 3 VUs on 2 workers are 2/3 and 1/3, not halves)."""
    stripe = part if isinstance(part, Stripe) else part.stripe
    if isinstance(profile, OpenProfile):
        whole = profile.arrivals_by(int(profile.planned_s * 1e9))
        return stripe.count(whole), whole
    assert isinstance(profile, ClosedProfile)
    peak = profile.peak_vus
    mine = stripe.count(peak)
    shared = profile.shared_iterations
    if shared is not None:
        return _shared_part(shared, peak, stripe, mine), shared
    return mine, peak


def _cut_config(profile: ProfileConfig, part: WorkerPart) -> dict[str, Any] | None:
    stripe, length = part.stripe, part.segment.length
    count = stripe.count
    data = profile.model_dump()
    if isinstance(profile, OpenProfile):
        if striped(profile.arrival_schedule(), stripe).arrival_ns(0) is None:
            return None  # not one arrival of the whole schedule is this worker's
        data["max_vus"] = max(1, count(profile.max_vus))
        if profile.pre_allocated_vus is not None:
            data["pre_allocated_vus"] = max(1, count(profile.pre_allocated_vus))
        # The rates say what the worker's stripe amounts to (display, bounds); its arrivals are the stripe.
        for key in ("rate", "start_rate"):
            if key in data:
                data[key] = float(data[key] * length)
        if "stages" in data:
            data["stages"] = [{**st, "target": float(st["target"] * length)} for st in data["stages"]]
        return data
    assert isinstance(profile, ClosedProfile)
    vus = count(profile.peak_vus)
    if vus == 0:
        return None
    shared = profile.shared_iterations
    if shared is not None:
        data["vus"] = vus
        data["iterations"] = _shared_part(shared, profile.peak_vus, stripe, vus)
    elif "stages" in data:
        # Stages and start say what the worker's stripe of the ramp amounts to; its vus_at is the stripe.
        data["start_vus"] = count(int(data["start_vus"]))
        data["stages"] = [{**st, "target": count(floor_eps(st["target"]))} for st in data["stages"]]
    else:
        data["vus"] = vus
    return data


def _shared_part(iterations: int, vus: int, stripe: Stripe, mine: int) -> int:
    """This worker's part of a shared budget dealt over the run's ``vus`` VUs: its VUs' parts added up."""
    total = 0
    for j in range(mine):
        v = stripe.index(j)
        total += (v + 1) * iterations // vus - v * iterations // vus
    return total

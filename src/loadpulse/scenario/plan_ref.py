"""What crosses a process boundary instead of a Plan: where the plan comes from, which part of it to run.

A :class:`~loadpulse.scenario.model.Plan` holds the scenario file's functions, which cannot be sent to
another process or a Ray actor (and should not be: a worker must run the file's code in its own
interpreter, with its own imports). A :class:`PlanRef` is plain data — the file's path and digest, the
command line's options, the scenarios to run and the load segment — from which each worker builds its own
Plan with :meth:`PlanRef.load`, the same way the coordinator built its one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.profiles.presets import Overrides
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import SegmentSequence
from loadpulse.profiles.worker_part import WorkerPart, first_vu_ids
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.model import Plan
from loadpulse.scenario.source import RunOptions, build_plan


@dataclass(frozen=True, slots=True)
class PlanRef:
    path: str
    """The scenario file, absolute (a worker's working directory may differ)."""
    options: RunOptions
    scenarios: tuple[str, ...] = ()
    """The scenarios this worker runs; () for all of them."""
    segment: Segment = field(default_factory=Segment)
    digest: str = ""
    """sha256 of the file when the run began: a worker that finds another file refuses to run it."""
    sequence: SegmentSequence | None = None
    """The segments of all workers, which ``segment`` is one of; None: :meth:`SegmentSequence.around`
    (right for the workers of :meth:`Segment.split`; an uneven split must give it)."""

    @classmethod
    def of(cls, path: str, options: RunOptions, scenarios: tuple[str, ...] = ()) -> PlanRef:
        file = Path(path)
        if not file.is_file():
            raise BadInput(f"scenario file {path!r} not found")
        return cls(str(file.resolve()), options, scenarios, Segment(), _digest(file))

    def with_segment(self, segment: Segment, sequence: SegmentSequence | None = None) -> PlanRef:
        return dataclasses.replace(self, segment=segment, sequence=sequence)

    def for_worker(self, index: int, count: int) -> PlanRef:
        """This plan's part for worker ``index`` (0-based) of ``count`` equal ones."""
        part = WorkerPart.even(index, count)
        return self.with_segment(part.segment, part.sequence)

    @property
    def part(self) -> WorkerPart:
        """The worker's segment among all workers' (what its arrivals, VUs and VU ids are cut by)."""
        return WorkerPart.of(self.segment, self.sequence)

    def load(self) -> Plan | None:
        """This worker's Plan, or None when its segment gets no load at all (more workers than VUs)."""
        file = Path(self.path)
        if not file.is_file():
            raise BadInput(f"scenario file {self.path!r} not found on this worker")
        if self.digest and _digest(file) != self.digest:
            raise BadInput(f"scenario file {self.path!r} changed since the run began; run it again")
        plan = build_plan(load_scenario(self.path), self.options)
        if self.scenarios:
            unknown = sorted(set(self.scenarios) - {s.name for s in plan.scenarios})
            if unknown:
                raise BadInput(f"{self.path}: no scenario named {', '.join(map(repr, unknown))}")
            plan = dataclasses.replace(
                plan, scenarios=tuple(s for s in plan.scenarios if s.name in self.scenarios)
            )
        return segment_plan(plan, self.segment, self.sequence)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON, msgpack, pickle) for the trip to a worker."""
        options = dataclasses.asdict(self.options)
        options["env"] = dict(self.options.env)
        return {
            "path": self.path,
            "options": options,
            "scenarios": list(self.scenarios),
            "segment": str(self.segment),
            "digest": self.digest,
            **({"sequence": str(self.sequence)} if self.sequence is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PlanRef:
        opts = dict(d["options"])
        overrides = dict(opts.pop("overrides"))
        overrides["stages"] = tuple(overrides.get("stages", ()))
        opts["extra_thresholds"] = tuple(opts.get("extra_thresholds", ()))
        opts["sinks"] = tuple(opts.get("sinks", ()))
        options = RunOptions(overrides=Overrides(**overrides), **opts)
        return cls(
            str(d["path"]),
            options,
            tuple(d.get("scenarios", ())),
            Segment.parse(str(d.get("segment", "0:1"))),
            str(d.get("digest", "")),
            SegmentSequence.parse(str(d["sequence"])) if d.get("sequence") else None,
        )


def segment_plan(plan: Plan, segment: Segment, sequence: SegmentSequence | None = None) -> Plan | None:
    """``plan`` with every scenario's load cut to ``segment`` of ``sequence`` (see
    :class:`~loadpulse.profiles.worker_part.WorkerPart`); scenarios that get none of it are left out.
    VU ids stay the whole plan's, so a scenario left out here shifts no other scenario's ids."""
    if segment.whole:
        return plan
    part = WorkerPart.of(segment, sequence)
    firsts = first_vu_ids([sc.profile for sc in plan.scenarios], part.sequence)
    scenarios = []
    for sc, first_id in zip(plan.scenarios, firsts, strict=True):
        try:
            profile = part.cut(sc.profile, first_id)
        except BadInput as exc:
            raise BadInput(f"{plan.source}: scenarios.{sc.name}: {exc}") from None
        if profile is not None:
            scenarios.append(dataclasses.replace(sc, profile=profile))
    return dataclasses.replace(plan, scenarios=tuple(scenarios)) if scenarios else None


def worker_vu_ids(plan: Plan, part: WorkerPart) -> dict[str, Sequence[int]]:
    """The run-wide ``ctx.vu.id`` values worker ``part`` may give each scenario of the whole ``plan``
    (empty where it runs none of it); the workers' sets never meet."""
    firsts = first_vu_ids([sc.profile for sc in plan.scenarios], part.sequence)
    return {sc.name: part.vu_ids(sc.profile, first) for sc, first in zip(plan.scenarios, firsts, strict=True)}


def _digest(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.profiles.presets import Overrides
from loadpulse.profiles.registry import build_profile
from loadpulse.profiles.segment import Segment
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

    @classmethod
    def of(cls, path: str, options: RunOptions, scenarios: tuple[str, ...] = ()) -> PlanRef:
        file = Path(path)
        if not file.is_file():
            raise BadInput(f"scenario file {path!r} not found")
        return cls(str(file.resolve()), options, scenarios, Segment(), _digest(file))

    def with_segment(self, segment: Segment) -> PlanRef:
        return dataclasses.replace(self, segment=segment)

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
        return segment_plan(plan, self.segment)

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
        )


def segment_plan(plan: Plan, segment: Segment) -> Plan | None:
    """``plan`` with every scenario's load cut to ``segment``; scenarios that get none of it are left out."""
    if segment.whole:
        return plan
    scenarios = []
    for sc in plan.scenarios:
        cut = segment.profile_config(sc.profile.describe(), sc.profile.family)
        if cut is not None:
            profile = build_profile(cut, f"{plan.source}: scenarios.{sc.name} (segment {segment})")
            scenarios.append(dataclasses.replace(sc, profile=profile))
    return dataclasses.replace(plan, scenarios=tuple(scenarios)) if scenarios else None


def _digest(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()

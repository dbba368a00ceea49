"""Each worker's part of a ``--workers`` run as the coordinator sends and weighs it: its real share of
the load (not its segment's length), the rows of test data it takes, and its part of every scenario."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from loadpulse.engine.spec_part import SpecRef
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.worker_part import load_measure
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_ref import PlanRef
from loadpulse.spec import RunSpec


class FleetParts:
    """The parts of one run's plan (or the one-liner's spec), measured once for all its workers."""

    def __init__(self, plan: Plan | RunSpec) -> None:
        self.plan = plan
        self._measures: list[tuple[int, int]] = []
        """Each worker's (amount of load, the whole's), by 0-based index."""
        self.by_scenario: list[list[int]] = []
        """Each worker's amount of each scenario's load (units differ between scenarios: VUs, arrivals)."""
        self._segment_index: dict[Segment, int] = {}

    def share_of(self, part: PlanRef | SpecRef) -> float:
        """A worker's real part of the load (its VUs, arrivals or iterations over the whole run's), not its
        segment's length: 3 VUs on 2 workers are 2/3 and 1/3."""
        if isinstance(part, SpecRef):
            return part.share()
        mine, whole = self._measure(part)
        return mine / whole if whole else float(part.segment.length)

    def _measure(self, part: PlanRef) -> tuple[int, int]:
        """(the worker's amount of load, the whole run's): see :func:`load_measure`."""
        measures = self._all_measures(part)
        return measures[self._segment_index[part.segment]]

    def _all_measures(self, part: PlanRef) -> list[tuple[int, int]]:
        """Every worker's measure, made once from one segment sequence (finding a segment in a sequence,
        or hashing one, is O(N): per worker that would be O(N²) for N workers)."""
        if not self._measures:
            assert isinstance(self.plan, Plan)
            sequence = part.part.sequence
            self._segment_index = {seg: i for i, seg in enumerate(sequence.segments)}
            for stripe in sequence.stripes:
                mine = whole = 0
                amounts = []
                for sc in self.plan.scenarios:
                    m, w = load_measure(sc.profile, stripe)
                    mine, whole = mine + m, whole + w
                    amounts.append(m)
                self._measures.append((mine, whole))
                self.by_scenario.append(amounts)
        return self._measures

    def part_dict(self, part: PlanRef | SpecRef) -> dict[str, Any]:
        """What a worker is sent: its part, and for a scenario the rows of the test data
        it takes (``rows``: its feeds' share), in proportion to its real part of the load, so that with an
        uneven split (3 VUs on 2 workers) no worker runs out of rows while another has some left."""
        out = part.to_dict()
        out["share"] = self.share_of(part)
        if isinstance(part, PlanRef):
            mine, whole = self._measure(part)
            if whole:
                # The rows before this worker's are those of the workers before it (measures cached).
                before = sum(m for m, _ in self._all_measures(part)[: self._segment_index[part.segment]])
                out["rows"] = str(Segment(Fraction(before, whole), Fraction(before + mine, whole)))
        return out

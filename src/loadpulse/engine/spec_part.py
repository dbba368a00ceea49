"""The one-liner (`loadpulse http --workers N`) split over worker processes: a worker's part of a RunSpec.

What :class:`~loadpulse.scenario.plan_ref.PlanRef` is for a scenario file, :class:`SpecRef` is for the
one-liner's :class:`~loadpulse.spec.RunSpec`: plain data crossing to a worker, from which it builds its own
part of the load, cut by its :class:`~loadpulse.profiles.worker_part.WorkerPart` like a scenario's:

- closed model: the worker's stripe of the ``-c`` connections, and of a ``-n`` budget the parts of its
  connections (connection ``v`` of ``C`` sends ``floor((v+1)n/C) - floor(vn/C)``), so the totals are exact;
- open model: the worker runs its stripe of the single schedule's arrivals, each at the whole's time for it
  (``-n`` with ``--rate``: its stripe of the first ``n``); ``--max-in-flight`` and the connections opened up
  front are its stripe of the whole's (at least one each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.bounds import MAX_IN_FLIGHT, MAX_VUS, check_count, check_h2_streams, spread_over
from loadpulse.engine.execute import spec_runner
from loadpulse.engine.open import OpenLoad
from loadpulse.engine.run import Runner, SnapshotListener
from loadpulse.errors import BadInput
from loadpulse.profiles.constant_rate import SteadyRate
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.striping import SegmentSequence, striped
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.spec import RunSpec

SCHEDULE_SLACK_S = 0.25
"""How long past its duration a worker's open-model run waits for its schedule's last arrivals (handed out
late by a busy loop) before its clock stops it."""


@dataclass(frozen=True, slots=True)
class SpecRef:
    spec: RunSpec
    """The whole run's spec."""
    segment: Segment = field(default_factory=Segment)
    sequence: SegmentSequence | None = None

    def for_worker(self, index: int, count: int) -> SpecRef:
        part = WorkerPart.even(index, count)
        return SpecRef(self.spec, part.segment, part.sequence)

    @property
    def part(self) -> WorkerPart:
        return WorkerPart.of(self.segment, self.sequence)

    def load(self) -> RunSpec | None:
        """This worker's spec (its connections, budget, rate for display), None when it gets no load."""
        return cut_spec(self.spec, self.part)

    def share(self) -> float:
        """This worker's real part of the load: of the connections, the ``-n`` budget or the arrivals."""
        return spec_share(self.spec, self.part)

    def runner(self, listener: SnapshotListener | None) -> Runner:
        """The worker's runner: its cut spec on the fast path, its stripe of the arrivals when open."""
        spec = self.load()
        if spec is None:
            raise BadInput("this worker's part of the load is empty")
        runner = spec_runner(spec, listener)
        part = self.part
        open_drivers: tuple[type, ...] = (OpenLoad,)
        if spec.http2:  # h2 is imported only by runs that speak it
            from loadpulse.engine.h2_driver import H2OpenLoad

            open_drivers = (OpenLoad, H2OpenLoad)
        if isinstance(runner.driver, open_drivers) and not part.whole:
            load = self.spec.load
            assert load.rate is not None
            duration = load.effective_duration_s
            # The single process's schedule, this worker's stripe of it. With a duration, the schedule
            # itself ends there (its ceil(rate x duration) arrivals), and the runner's clock a little later:
            # cut by the clock alone, each worker would add the arrivals due while its stop was on its way
            # (20,003-20,009 for 2,000/s over 10 s on 2 workers), or lose those its late loop had not handed
            # out yet.
            end_ns = int(duration * 1e9) if duration is not None else None
            runner.driver.schedule = striped(  # type: ignore[attr-defined]  # an open driver: checked above
                SteadyRate(load.rate, end_ns), part.stripe
            )
            if runner.duration_s is not None:
                runner.duration_s += SCHEDULE_SLACK_S
        return runner

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec.model_dump(),
            "segment": str(self.segment),
            **({"sequence": str(self.sequence)} if self.sequence is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpecRef:
        segment = Segment.parse(str(d.get("segment", "0:1")))
        sequence = SegmentSequence.parse(str(d["sequence"])) if d.get("sequence") else None
        # The whole is checked against all workers' per-process bounds, as the coordinator checked it;
        # this worker's part is checked against one process's when it is cut.
        with spread_over(WorkerPart.of(segment, sequence).count):
            spec = RunSpec.model_validate(d["spec"])
        return cls(spec, segment, sequence)


def _budget_part(total: int, units: int, part: WorkerPart) -> int:
    """The worker's part of ``total`` dealt over ``units`` (connections) as evenly as it divides."""
    stripe = part.stripe
    return sum(
        (v + 1) * total // units - v * total // units
        for v in (stripe.index(j) for j in range(stripe.count(units)))
    )


def cut_spec(spec: RunSpec, part: WorkerPart) -> RunSpec | None:
    """``spec`` cut to ``part``; None when the worker gets none of its load."""
    if part.whole:
        return spec
    load = spec.load
    count = part.stripe.count
    if load.rate is None:
        connections = count(load.effective_connections)
        if connections == 0:
            return None
        requests = _budget_part(load.requests, load.effective_connections, part) if load.requests else None
        cut = load.model_copy(update={"connections": connections, "requests": requests})
    else:
        if load.requests is not None and count(load.requests) == 0:
            return None
        cut = load.model_copy(
            update={
                "rate": load.rate * float(part.segment.length),  # what its stripe amounts to (display)
                "requests": count(load.requests) if load.requests else None,
                "connections": max(1, count(load.connections)),
                "max_in_flight": max(1, count(load.effective_max_in_flight)),
            }
        )
    try:  # the whole was checked against all workers' bounds; a part must fit in one process
        check_count(cut.connections, "-c/--connections (a worker's part)", MAX_VUS)
        if cut.max_in_flight is not None:
            check_count(cut.max_in_flight, "--max-in-flight (a worker's part)", MAX_IN_FLIGHT)
        if spec.http2:
            check_h2_streams(
                cut.effective_connections,
                spec.streams_per_connection,
                cut.effective_max_in_flight if cut.open_model else None,
                spread=False,
                part=True,
                requests=cut.requests,
            )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return spec.model_copy(update={"load": cut})


def spec_share(spec: RunSpec, part: WorkerPart) -> float:
    """The worker's part of ``spec``'s load, 0 to 1 (the workers' parts add up to 1)."""
    if part.whole:
        return 1.0
    load = spec.load
    count = part.stripe.count
    if load.rate is None:
        units = load.effective_connections
        if load.requests:
            return _budget_part(load.requests, units, part) / load.requests
        return count(units) / units
    if load.requests:
        return count(load.requests) / load.requests
    duration = load.effective_duration_s or 0.0
    arrivals = SteadyRate(load.rate, int(duration * 1e9)).arrivals_by(int(duration * 1e9))
    return count(arrivals) / arrivals if arrivals else float(part.segment.length)

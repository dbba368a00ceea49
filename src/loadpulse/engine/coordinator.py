"""A scenario run spread over local worker processes (``--workers N``): the coordinator's side.

The coordinator runs no load. It is an ordinary :class:`~loadpulse.engine.run.Runner` whose load is a
:class:`WorkerFleet` and whose recorder is a :class:`MergedRecorder`: every interval it waits (at most
half an interval) for each worker's snapshot, merges them into one and hands that to the usual listener,
so progress, thresholds, abort, dashboards and reports all read the merged numbers, and an abort or a
Ctrl-C stops every worker. The workers themselves: :mod:`~loadpulse.engine.worker_fleet` (starting,
pacing, loss), :mod:`~loadpulse.engine.worker_handle` (one of them), :mod:`~loadpulse.engine.worker_process`
(inside one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from loadpulse.engine.execute import execute_runner, pipeline_check
from loadpulse.engine.run import Runner, Service, SnapshotListener
from loadpulse.engine.spec_part import SpecRef
from loadpulse.engine.worker_fleet import DRAIN_MARGIN_S, START_LEAD_S, WorkerFleet
from loadpulse.engine.worker_launch import Launcher
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.cardinality import MAX_CUSTOM, MAX_TAGS
from loadpulse.metrics.interval_merge import merge_interval
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.results.outcome import RunOutcome
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_ref import PlanRef
from loadpulse.spec import RunSpec


class MergedRecorder(Recorder):
    """The coordinator's recorder: it records nothing itself (the probes aside); each cut is the merge
    of the workers' snapshots received since the previous one."""

    def __init__(self, fleet: WorkerFleet) -> None:
        super().__init__()
        self.fleet = fleet
        self.caps: dict[str, int] = {}
        """The whole run's cardinality caps by family (names, tags, checks, metrics)."""
        self._cuts = 0
        self._end_ns = 0

    def cut(
        self, now_ns: int, in_flight: int = 0, connections: int = 0, loop_lag_us: Sequence[int] = ()
    ) -> Snapshot:
        snaps = self.fleet.take()
        # The workers' own interval ends (on the shared clock) rather than when the merge happened.
        end = max([s.end_ns for s in snaps] or [now_ns])
        end = max(end, self._end_ns)
        snap = merge_interval(self._cuts, self._end_ns, end, snaps, self.fleet.gauges, self.probes)
        for family, over in snap.overflow.items():
            # Each worker kept its part of a cap: the warning names the whole run's.
            over.cap = self.caps.get(family, over.cap)
        self.probes.clear()
        self._cuts += 1
        self._end_ns = end
        return snap


def execute_workers(
    description: Plan | RunSpec,
    ref: PlanRef | SpecRef,
    count: int,
    listener: SnapshotListener | None = None,
    *,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
    handle_signals: bool = True,
    abort_on_loss: bool = False,
    warn: Callable[[str], None] | None = None,
    on_drain: Callable[[Aggregate, float], None] | None = None,
    launcher: Launcher | None = None,
) -> RunOutcome:
    """Run a scenario's ``plan`` or the one-liner's spec (``description``, whose parts ``ref`` makes) over
    ``count`` worker processes; the outcome is the merged one, with ``workers`` filled in. A pipeline
    check's sinks are polled here, once for the whole run, against what the workers tracked and shipped
    (``on_drain``: see :class:`Runner`)."""
    fleet = WorkerFleet(ref, description, count, abort_on_loss=abort_on_loss, warn=warn, launcher=launcher)
    plan = description if isinstance(description, Plan) else None
    check = pipeline_check(plan) if plan is not None else None  # its sinks answer before any worker starts
    if check is not None:
        fleet.on_tracked = check.receive
        fleet.on_lost = check.worker_lost
    if plan is not None:
        finished_reason = "completed"
        planned_end_s: float | None = plan.latest_end_s + START_LEAD_S + DRAIN_MARGIN_S
        stall_end_s: float | None = plan.planned_s
    else:
        assert isinstance(description, RunSpec)
        load = description.load
        duration = load.effective_duration_s
        finished_reason = "requests" if load.requests is not None else "duration"
        planned_end_s = duration + START_LEAD_S + DRAIN_MARGIN_S if duration is not None else None
        stall_end_s = duration

    def outcome_hook(outcome: RunOutcome) -> None:
        outcome.workers = fleet.report()
        if on_outcome is not None:
            on_outcome(outcome)

    def make() -> Runner:
        merged = MergedRecorder(fleet)
        if plan is not None:
            merged.caps = {
                "names": plan.max_names,
                "tags": MAX_TAGS,
                "checks": MAX_CUSTOM,
                "metrics": MAX_CUSTOM,
            }
        runner = Runner(
            fleet,
            merged,
            duration_s=None,
            grace_s=description.grace_s,
            interval_s=description.interval_s,
            listener=listener,
            finished_reason=finished_reason,
            sampler=sampler,
            services=services,
            on_outcome=outcome_hook,
            planned_end_s=planned_end_s,
            stall_end_s=stall_end_s,
            setup_timeout_s=None,  # each worker times its own setup() and says so
            handle_signals=handle_signals,
            pipeline=check,
            on_drain=on_drain,
        )
        if plan is not None:
            runner.plan = plan
        else:
            assert isinstance(description, RunSpec)
            runner.spec = description
        fleet.attach(runner)
        return runner

    try:
        outcome = execute_runner(make)
    finally:
        fleet.close()
    outcome.workers = fleet.report()
    return outcome

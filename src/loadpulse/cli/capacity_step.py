"""One step of a capacity search: a run at one rate (or VU count), ended once it has settled, saved in the
history like any run (tagged with the search), and read back as the search's observation."""

from __future__ import annotations

import math
import resource
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from rich.console import Console

from loadpulse.cli.runner import RunDescription, new_run_id, run_info, run_secrets_of
from loadpulse.cli.worker_options import WorkerSetup
from loadpulse.engine.coordinator import execute_workers
from loadpulse.engine.execute import execute, execute_plan
from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.outputs.contract import Finished, OutputParams
from loadpulse.outputs.output_set import OutputSet
from loadpulse.outputs.registry import build_outputs
from loadpulse.probes.build import build_sampler, check_probe_thresholds
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.profiles.capacity_search import (
    GENERATOR_SHORTFALL,
    SHORTFALL_OBJECTIVE,
    StepObservation,
    generator_limit,
    shortfall,
)
from loadpulse.profiles.capacity_settle import SettleRule
from loadpulse.profiles.capacity_target_state import unreachable
from loadpulse.redaction import redact_values
from loadpulse.results.document import results_of
from loadpulse.results.format import markup_safe
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary, latency_ms
from loadpulse.scenario.model import Plan
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import FAIL, ThresholdResult, evaluate

ENDED_EARLY = "capacity step ended: "
"""The listener's stop reason: the runner files it as an abort, which a settled step is not."""


@dataclass(frozen=True, slots=True)
class StepSettings:
    """What every step of one search shares."""

    slos: Sequence[Threshold]
    settle: SettleRule
    search_id: str
    open_model: bool
    flags: dict[str, Any]
    """History and secret flags: no_history, store, run_name, tag, secret, probe."""
    err: Console


@dataclass(slots=True)
class StepRun:
    """One step's observation, its thresholds on the final aggregate, and what went wrong saving it."""

    observation: StepObservation
    results: list[ThresholdResult]
    summary: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sampler(description: RunDescription, s: StepSettings) -> ProbeSampler | None:
    sampler = build_sampler(
        tuple(s.flags.get("probe") or ()),
        description.probes if isinstance(description, Plan) else None,
        warn=lambda m: s.err.print(f"[yellow]warning:[/] {markup_safe(m)}", highlight=False),
    )
    try:
        if sampler is not None:
            sampler.check()
        check_probe_thresholds(s.slos, sampler)
    except BadInput:
        if sampler is not None:
            sampler.close()
        raise
    return sampler


class _Watch:
    """The step's snapshot listener: keeps the step's measured window (every interval after the first, in
    which connections and caches warm up) and ends the step once its latency settled or climbs past an
    objective."""

    def __init__(self, s: StepSettings, interval_s: float, may_end: bool = True) -> None:
        self.s = s
        self.interval_s = interval_s
        self.may_end = may_end
        """False for a step with a pipeline check: a stop cuts its drain short (items left unverified)."""
        self.p95s: list[float] = []
        self.ended = "held"
        self.window = Aggregate()
        self._cuts = 0
        self._window_start_ns: int | None = None

    def __call__(self, snap: Snapshot, row: SeriesRow, agg: Aggregate) -> str | None:
        self._cuts += 1
        if self._cuts > 1:
            if self._window_start_ns is None:
                self._window_start_ns = snap.start_ns
            self.window.add(snap)
            # Rates are per second of the window, not of the whole step.
            self.window.elapsed_ns = snap.end_ns - self._window_start_ns
        # Only full intervals count for settling: the final cut of a step is a fraction of one.
        if not self.may_end or row.interval_s < 0.9 * self.interval_s:
            return None
        self.p95s.append(row.p95_ms if row.requests else math.nan)
        failing = any(r.verdict == FAIL for r in evaluate(self.s.slos, self.judged(agg)))
        state = self.s.settle.state(self.p95s, agg.elapsed_s, failing)
        if state is None:
            return None
        self.ended = state
        return ENDED_EARLY + state

    def judged(self, agg: Aggregate) -> Aggregate:
        """What the objectives are judged on: the window, with the step's pipeline and probe figures (the
        whole step, when it was too short to have a window)."""
        if not self.window.elapsed_ns or not (self.window.total.requests or self.window.scenarios):
            return agg
        self.window.pipeline = agg.pipeline
        self.window.probe_groups = agg.probe_groups
        return self.window


def run_step(
    description: RunDescription, rate: float, s: StepSettings, workers: WorkerSetup | None = None
) -> StepRun:
    """Run one step to its end (over ``workers``' processes, if given); the observation the search
    records."""
    hidden = tuple(run_secrets_of(description, s.flags.get("secret") or ()))
    info = run_info(description, hidden)
    tags = [*(s.flags.get("tag") or ()), f"capacity:{s.search_id}"]
    flags = {**s.flags, "tag": tags, "quiet": True}
    params = OutputParams(flags, s.err, s.err, info, s.slos, hidden)
    pipeline = isinstance(description, Plan) and description.pipeline is not None
    watch = _Watch(s, description.interval_s, may_end=not pipeline)

    def finish(outcome: RunOutcome) -> Finished:
        outcome.run_id = new_run_id(outcome)
        if outcome.abort_reason is not None and outcome.abort_reason.startswith(ENDED_EARLY):
            # Ended by the search, not by a failing threshold: filed under its thresholds' verdict.
            outcome.warnings.append(f"{outcome.abort_reason} (the capacity search stopped it)")
            outcome.abort_reason = None
            outcome.ended_by = "stopped"
        judged = watch.judged(outcome.aggregate)
        if judged is not outcome.aggregate:
            outcome.warnings.append(
                "capacity step: its objectives are judged after its first interval (warm-up)"
            )
        summary = redact_values(build_summary(outcome, evaluate(s.slos, judged)), hidden)
        summary["capacity_step"] = {"search_id": s.search_id, "rate": rate}
        results = results_of(outcome, summary)
        results.settings = redact_values(results.settings, hidden)
        return Finished(results, outcome)

    sampler = _sampler(description, s)
    cpu0, t0 = _cpu_s(), perf_counter()
    with OutputSet(build_outputs(params, ("history",)), s.slos, finish) as outputs:
        try:
            outputs.start(info)
            kw: dict[str, Any] = {"sampler": sampler, "on_outcome": outputs.on_outcome}
            if workers is not None:
                warn = lambda m: s.err.print(f"[yellow]warning:[/] {markup_safe(m)}", highlight=False)  # noqa: E731
                outcome = execute_workers(description, workers.ref, workers.count, watch, warn=warn, **kw)
            elif isinstance(description, Plan):
                outcome = execute_plan(description, watch, **kw)
            else:
                outcome = execute(description, watch, **kw)
        finally:
            if sampler is not None:
                sampler.close()
        cpu_pct = 100.0 * (_cpu_s() - cpu0) / max(perf_counter() - t0, 1e-9)
        finished = outputs.finished or finish(outcome)
        problems = outputs.stop(finished)
    judged = watch.judged(outcome.aggregate)
    results = evaluate(s.slos, judged)
    observation = observe(
        outcome, judged, finished.summary, results, rate, s.open_model, cpu_pct, watch.ended
    )
    return StepRun(observation, results, finished.summary, list(problems))


def observe(
    outcome: RunOutcome,
    judged: Aggregate,
    summary: dict[str, Any],
    results: Sequence[ThresholdResult],
    rate: float,
    open_model: bool,
    cpu_pct: float,
    ended: str,
) -> StepObservation:
    from loadpulse.cli.capacity_slo import breach, limiting, met

    agg = outcome.aggregate
    elapsed = agg.elapsed_s
    scenario = outcome.plan is not None
    rows = [r for r in agg.series[1:] if r.interval_s >= 0.9 * outcome_interval(outcome)]
    # Only answered requests count as achieved: a refused or reset one did no work.
    per_interval = tuple(round((r.iterations if scenario else r.ok) / r.interval_s, 3) for r in rows)
    # Achieved over the window's full intervals: the whole step's count over its length would also count
    # the warm-up and the end's wait for in-flight work (3 % of a 3 s step for a 100 ms wait).
    count = sum(sc.iterations for sc in agg.scenarios.values()) if scenario else agg.total.ok
    achieved = statistics.fmean(per_interval) if per_interval else (count / elapsed if elapsed else 0.0)
    window_s = sum(r.interval_s for r in rows) or elapsed
    slack = 2.0 / window_s if window_s > 0 else 0.0
    # Several scenarios in one file each run at the step's rate.
    offered = rate * (len(outcome.plan.scenarios) if outcome.plan is not None else 1)
    lat = latency_ms(judged.total.latency)
    if scenario and not judged.total.requests:
        durations = [sc.duration for sc in judged.scenarios.values() if sc.duration.total]
        lat = latency_ms(max(durations, key=lambda h: h.percentile(95.0))) if durations else {}
    passed = met(results)
    workers = (summary.get("workers") or {}).get("per_worker") or []
    busiest = [float(w["cpu_pct"]) for w in workers if w.get("cpu_pct") is not None]
    if busiest:  # over workers, the coordinator's own CPU says nothing of theirs
        cpu_pct = max(busiest)
    total = judged.total
    limited_by = limiting(results)
    miss = next((breach(r) for r in results if r.threshold.expression.strip() == limited_by), None)
    reason = generator_limit(
        offered=offered,
        achieved=achieved,
        dropped=agg.dropped,
        duration_s=elapsed,
        passed=passed,
        loop_limited=bool(summary["generator"]["limited"]),
        cpu_pct=cpu_pct,
        open_model=open_model,
        slack=slack,
        miss=miss,
    )
    # On the judged window: a target that died after the warm-up interval is dead for the rest of the step.
    dead = unreachable(total.requests, total.errors)
    if dead is not None:
        passed, limited_by, reason = False, None, None
    if passed and reason is None and shortfall(offered, achieved, open_model, slack):
        passed, limited_by = False, SHORTFALL_OBJECTIVE
        miss = GENERATOR_SHORTFALL * offered / achieved if achieved > 0 else None
    return StepObservation(
        rate=rate,
        achieved=round(achieved, 3),
        passed=passed,
        limited_by=limited_by,
        generator_limited=reason,
        duration_s=round(elapsed, 3),
        p50_ms=lat.get("p50"),
        p95_ms=lat.get("p95"),
        p99_ms=lat.get("p99"),
        error_rate=round(total.failed / total.requests, 6) if total.requests else 0.0,
        dropped=agg.dropped,
        interval_rates=per_interval,
        ended="interrupted" if outcome.interrupted else ended,
        run_id=outcome.run_id,
        unreachable=dead,
        miss=None if miss is None or not math.isfinite(miss) else round(miss, 3),
    )


def outcome_interval(outcome: RunOutcome) -> float:
    if outcome.plan is not None:
        return outcome.plan.interval_s
    return outcome.spec.interval_s if outcome.spec is not None else 1.0

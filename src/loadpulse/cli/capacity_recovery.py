"""The cool-down between a failed capacity step and the next one: light probes until the target's latency
is back near what it was before it was overloaded, so that a backlog left by one step is not measured as
the next step's failure (docs/capacity.md, "Cool-down")."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

from loadpulse.cli.capacity_target import FileTarget, UrlTarget
from loadpulse.engine.execute import execute, execute_plan
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.profiles.capacity_search import StepObservation
from loadpulse.profiles.capacity_target_state import recovered
from loadpulse.results.summary import latency_ms
from loadpulse.spec import RunSpec

PROBE_S = 1.0
"""One probe's length: a few requests (or iterations) at a rate far below the last passing step's."""
PROBE_MAX_RATE = 5.0
PAUSE_S = 0.5
"""Idle time between probes: the target drains its backlog without our probes adding to it."""


@dataclass(frozen=True, slots=True)
class CoolDown:
    recovered: bool
    waited_s: float
    probe_p50_ms: float | None
    baseline_p50_ms: float | None


def probe_rate(baseline: StepObservation | None, failed: StepObservation, vus: bool) -> float:
    """A light load: a quarter of the last passing rate (an eighth of the failed one), 1 to 5 /s; 1 VU."""
    if vus:
        return 1.0
    base = baseline.rate / 4 if baseline is not None else failed.rate / 8
    return max(1.0, min(PROBE_MAX_RATE, base))


def _p50(agg: Aggregate) -> float | None:
    if agg.total.requests:
        return latency_ms(agg.total.latency)["p50"] if agg.total.ok else None
    durations = [sc.duration for sc in agg.scenarios.values() if sc.duration.total]
    if not durations:
        return None
    return latency_ms(max(durations, key=lambda h: h.percentile(50.0)))["p50"]


def _probe(target: UrlTarget | FileTarget, rate: float, vus: bool) -> float | None:
    """One light probe run (no history, no outputs, in this process): its p50 in ms."""
    run = target.at(rate, vus, PROBE_S, local=True)
    outcome = (
        execute(run, handle_signals=False)
        if isinstance(run, RunSpec)
        else execute_plan(run, handle_signals=False)
    )
    return _p50(outcome.aggregate)


def cool_down(
    target: UrlTarget | FileTarget,
    baseline: StepObservation | None,
    failed: StepObservation,
    *,
    vus: bool,
    budget_s: float,
    floor_ms: float,
    probe: Callable[[UrlTarget | FileTarget, float, bool], float | None] = _probe,
    clock: Callable[[], float] = perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> CoolDown:
    """Probe the target until its p50 is back near ``baseline``'s (see :func:`recovered`), at most
    ``budget_s``: an idle pause, then a probe, repeated; no probe starts that would end past the budget."""
    rate = probe_rate(baseline, failed, vus)
    base = baseline.p50_ms if baseline is not None else None
    t0 = clock()
    p50: float | None = None
    while True:
        sleep(min(PAUSE_S, max(0.0, budget_s - (clock() - t0))))
        p50 = probe(target, rate, vus)
        if recovered(p50, base, floor_ms):
            return CoolDown(True, clock() - t0, p50, base)
        if clock() - t0 + PAUSE_S + PROBE_S > budget_s:
            return CoolDown(False, clock() - t0, p50, base)

"""The objectives of a capacity search (``--slo``): parsed as thresholds, checked measurable before any
load, and read after each step (met or not, and which one missed by the widest margin)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from loadpulse.errors import BadInput
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.threshold import Threshold
from loadpulse.thresholds.verdict import FAIL, ThresholdResult

SCENARIO_ONLY = ("checks", "iterations", "custom")
"""Metric sources only a scenario file produces."""


def parse_slos(
    expressions: Sequence[str] | None,
    *,
    scenario: bool,
    pipeline: bool,
    probes: Sequence[str] = (),
    custom: Mapping[str, str] | None = None,
    names: Sequence[str] | None = None,
) -> list[Threshold]:
    """The ``--slo`` expressions as thresholds; BadInput (one line) for none, a bad one, or one this search
    can never measure: a pipeline figure without a sink, a scenario figure against a URL, an undeclared
    probe, a trend (drift, recovery) that no step is long enough to show, a request name the target never
    sends. ``probes``: the probe names given (``--probe NAME=...`` and the file's); ``names``: every
    request name the target sends, when that is known before the load (a URL's one request)."""
    if not expressions:
        raise BadInput("give at least one --slo, e.g. --slo 'p95<200ms' --slo 'errors.rate<1%'")
    slos = parse_thresholds(expressions, custom)
    for slo in slos:
        m = slo.metric
        why = None
        if m.source in ("drift", "recovery") or m.field == "drift":
            why = (
                f"{slo.label} is a trend over a whole run (or a recovery from a fault), and a capacity "
                "step is judged on seconds of steady load: test it with loadpulse run"
            )
        elif (
            names is not None and m.filter is not None and m.filter[0] == "name" and m.filter[1] not in names
        ):
            why = f"the target sends no request named {m.filter[1]!r} (its requests: {', '.join(names)})"
        elif m.source == "pipeline" and not pipeline:
            why = "there is no pipeline check: add --sink, or a pipeline: in the scenario file"
        elif m.source in SCENARIO_ONLY and not scenario:
            why = f"{slo.label} is measured by scenario files only, and the target is a URL"
        elif m.source == "probe" and not any((m.subject or "").startswith(p) for p in probes):
            why = f"no probe gives {m.subject!r}: add --probe NAME=... (see docs/live.md#probes)"
        if why is not None:
            raise BadInput(f"--slo {slo.expression!r} cannot be measured: {why}")
    return slos


def unmeasured(results: Sequence[ThresholdResult]) -> str | None:
    """The first objective a finished step measured nothing for (its figure is 'no data')."""
    for r in results:
        if r.actual is None:
            return r.threshold.expression
    return None


def met(results: Sequence[ThresholdResult]) -> bool:
    """Every objective met: PASS, or WARN (within its acceptable or critical level)."""
    return all(r.verdict != FAIL for r in results)


def breach(r: ThresholdResult) -> float:
    """How far a failed objective missed, as a ratio (1.5: 50 % past its bound); no data is infinite."""
    if r.actual is None:
        return math.inf
    levels = r.threshold.levels
    bound = levels.get("critical") or levels.get("acceptable") or next(iter(levels.values()))
    actual, value = abs(r.actual), abs(bound.value)
    if bound.comparator.startswith("<"):
        return actual / value if value else math.inf
    if bound.comparator.startswith(">"):
        return value / actual if actual else math.inf
    return math.inf if actual != value else 1.0


def limiting(results: Sequence[ThresholdResult]) -> str | None:
    """The failed objective missed by the widest margin (the one that broke first as load rose). One that
    measured nothing (every request failed, say) says nothing of a limit: it is named only when no failed
    objective had data."""
    failed = [r for r in results if r.verdict == FAIL]
    if not failed:
        return None
    measured = [r for r in failed if r.actual is not None] or failed
    return max(measured, key=breach).threshold.expression.strip()


def tightest_latency_ms(slos: Sequence[Threshold]) -> float | None:
    """The lowest upper bound of a latency objective, in ms (None without one)."""
    bounds = [
        b.value
        for s in slos
        if s.metric.kind == "duration" and s.metric.source in ("latency", "ttfb", "service")
        for b in s.levels.values()
        if b.comparator.startswith("<")
    ]
    return min(bounds, default=None)

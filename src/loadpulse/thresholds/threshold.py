"""What a parsed threshold means: which metric, in which unit, with which levels (pure).

Metrics (all filterable as shown; a filter on a metric that has none is an error):

====================================  ==========  ==========================================
metric                                kind        filter
====================================  ==========  ==========================================
p50 p90 p95 p99 p99.9 pNN avg min max  duration    ``{name=...}`` (also ``http.p95``,
                                                  ``latency.p95``, ``ttfb.p95``, ``service.p95``)
requests.count / requests.rate        count, /s   ``{name=...}``
errors.rate / errors.count            ratio, count ``{name=...}``
errors.<kind>.count                   count       ``{name=...}`` (kinds: error_kind_names.py)
checks.rate                           ratio        ``{name=<check>}``
dropped.count                         count       ``{scenario=...}``
iterations.count / .rate / .pNN       count, /s, duration  ``{scenario=...}``
probe.<name>.max|min|avg|first|last   number      none
probe.<name>.growth                   ratio       none   ((last - first) / first)
probe.<name>.imbalance[.max|min|...]  ratio (%)   none   (a group probe; bare: the last sample)
drift.p50|p95|p99|errors.rate|...     ratio       none   (change over the run; thresholds/drift_metric)
probe.<name>.drift                    ratio       none
pipeline.<field> (PIPELINE_FIELDS)    by field    none
recovery.max|avg|min|count            duration, count  ``{fault=...}`` (recovery_metrics.py)
<custom>.count|value|rate|pNN|...     by kind     none
====================================  ==========  ==========================================

Units: durations in ``us``, ``ms`` (the default for a bare number) or ``s``; ratios in ``%`` or as a bare
fraction; rates in ``/s``; counts bare.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from loadpulse.thresholds.drift_metric import DRIFT, drift_target, is_drift
from loadpulse.thresholds.error_kind_names import error_kind_problem
from loadpulse.thresholds.parser import (
    LEVEL_NAMES,
    MetricRef,
    Parsed,
    RawLevel,
    RawValue,
    ThresholdError,
    parse,
)
from loadpulse.thresholds.recovery_metrics import resolve_recovery

DURATION, RATIO, COUNT, PER_SECOND, NUMBER = "duration", "ratio", "count", "per_second", "number"
LATENCY_SOURCES = ("http", "latency", "ttfb", "service")
AGGREGATES = ("avg", "mean", "min", "max")
PROBE_FIELDS = ("max", "min", "avg", "first", "last", "growth")
IMBALANCE = "imbalance"
"""A group probe's series NAME.imbalance holds percents (as pipeline fairness_pct does): its thresholds are
ratios, written with %, and measured as value / 100."""
_PCT = re.compile(r"p(\d+(?:\.\d+)?)")
_UNIT_FACTOR: dict[str, dict[str | None, float]] = {
    DURATION: {None: 1.0, "ms": 1.0, "s": 1000.0, "us": 1e-3, "µs": 1e-3},
    RATIO: {None: 1.0, "%": 0.01},
    PER_SECOND: {None: 1.0, "/s": 1.0},
    COUNT: {None: 1.0},
    NUMBER: {None: 1.0, "ms": 1.0, "s": 1000.0, "us": 1e-3, "µs": 1e-3, "%": 0.01, "/s": 1.0},
}
KNOWN_ROOTS = (
    "p95",
    "p99",
    "avg",
    "min",
    "max",
    "http",
    "ttfb",
    "requests",
    "errors",
    "checks",
    "dropped",
    "iterations",
    "probe",
    "pipeline",
    "drift",
    "recovery",
)


@dataclass(frozen=True, slots=True)
class PipelineField:
    """Where a ``pipeline.*`` metric's value is in the Summary JSON ``pipeline`` object
    (``PipelineResult.to_dict()``) and the factor to the metric's base unit."""

    kind: str
    path: tuple[str, ...]
    factor: float = 1.0


PIPELINE_FIELDS: dict[str, PipelineField] = {
    "sent.count": PipelineField(COUNT, ("sent",)),
    "delivered.count": PipelineField(COUNT, ("delivered",)),
    "lost.count": PipelineField(COUNT, ("lost", "count")),
    "lost.rate": PipelineField(RATIO, ("lost", "rate")),
    "duplicates.count": PipelineField(COUNT, ("duplicates", "count")),
    "unexpected.count": PipelineField(COUNT, ("unexpected", "count")),
    "stuck.count": PipelineField(COUNT, ("stuck", "count")),
    "rejected.count": PipelineField(COUNT, ("rejected",)),
    "unverified.count": PipelineField(COUNT, ("unverified",)),
    "in_progress.count": PipelineField(COUNT, ("in_progress",)),
    "failed.count": PipelineField(COUNT, ("failed", "count")),
    **{f"e2e.{k}": PipelineField(DURATION, ("e2e_ms", k)) for k in ("p50", "p90", "p95", "p99", "max")},
    # drain_s is seconds and durations are compared in ms; fairness_pct is a percent and ratios are
    # compared as fractions, so `pipeline.fairness < 20%` means 20 percent.
    "drain": PipelineField(DURATION, ("drain_s",), 1000.0),
    "fairness": PipelineField(RATIO, ("fairness_pct",), 0.01),
}
"""``pipeline.<field>`` metrics, by the path after ``pipeline.``."""
PERCENT_ONLY = frozenset({"fairness"})
"""Known to everyone as a percent: a bare ``20`` (2000 % as a fraction) would be a silent pass, so the
bound must say ``%``."""


@dataclass(frozen=True, slots=True)
class Bound:
    comparator: str
    value: float
    """In the metric's base unit: ms for durations, a fraction for ratios, per second for rates."""
    text: str

    def holds(self, actual: float) -> bool:
        c, v = self.comparator, self.value
        return {
            "<": actual < v,
            "<=": actual <= v,
            ">": actual > v,
            ">=": actual >= v,
            "==": actual == v,
            "!=": actual != v,
        }[c]


@dataclass(frozen=True, slots=True)
class Metric:
    """A resolved metric: where its number comes from and what kind of number it is."""

    source: str
    """'latency', 'ttfb', 'service', 'requests', 'errors', 'error_kind', 'checks', 'dropped',
    'iterations', 'probe', 'pipeline', 'custom'."""
    field: str
    """'p95', 'avg', 'count', 'rate', ..."""
    kind: str
    subject: str | None = None
    """The error kind or custom metric name it is about."""
    filter: tuple[str, str] | None = None
    """('name', request or check name) or ('scenario', scenario name)."""


@dataclass(frozen=True, slots=True)
class Threshold:
    expression: str
    metric: Metric
    label: str
    """The metric as written (for tables)."""
    levels: dict[str, Bound]
    single: bool
    abort_on_fail: bool = False
    abort_delay_s: float = 0.0


def is_percent_probe(metric: Metric) -> bool:
    """A threshold on a group probe's imbalance (a series of percents)."""
    subject = metric.subject or ""
    return metric.source == "probe" and metric.field != "growth" and subject.endswith("." + IMBALANCE)


def _percentile(field: str) -> bool:
    m = _PCT.fullmatch(field)
    return m is not None and 0 < float(m.group(1)) <= 100


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def resolve_metric(ref: MetricRef, expr: str, custom: dict[str, str]) -> Metric:
    """``custom``: declared custom metric name -> kind (counter/trend/rate), for scenario runs."""
    parts = list(ref.parts)
    head = parts[0]
    filters = dict(ref.filters)

    def bad(message: str) -> ThresholdError:
        return ThresholdError(expr, ref.pos, message)

    def only(*allowed: str, tags: bool = False) -> tuple[str, str] | None:
        """The one filter this metric takes; with ``tags``, any other key is a request tag."""
        if len(filters) > 1:
            raise ThresholdError(expr, ref.filter_pos, "give one filter at a time, like {name=create}")
        if tags:
            for key, value in filters.items():
                if key in allowed:
                    return key, value
                if key == "scenario":
                    raise ThresholdError(
                        expr,
                        ref.filter_pos,
                        f"requests are not kept per scenario: use {{name=...}} or a tag on {ref}",
                    )
                return "tag", f"{key}={value}"
            return None
        extra = [k for k in filters if k not in allowed]
        if extra:
            if not allowed:
                raise ThresholdError(
                    expr, ref.filter_pos, f"filter {{{extra[0]}=...}} is not available on {ref}"
                )
            raise ThresholdError(
                expr,
                ref.filter_pos,
                f"filter {{{extra[0]}=...}} is not available on {ref}; use {{{allowed[0]}=...}}",
            )
        for k in allowed:
            if k in filters:
                return k, filters[k]
        return None

    def latency_field(field: str, source: str) -> Metric:
        if not (_percentile(field) or field in AGGREGATES):
            raise bad(f"unknown latency aggregate {field!r} (use p50, p95, p99, p99.9, avg, min, max)")
        return Metric(source, "avg" if field == "mean" else field, DURATION, filter=only("name", tags=True))

    if len(parts) == 1 and (_percentile(head) or head in AGGREGATES):
        return latency_field(head, "latency")
    if head in LATENCY_SOURCES and len(parts) == 2:
        return latency_field(parts[1], "latency" if head in ("http", "latency") else head)
    if head == "requests" and len(parts) == 2 and parts[1] in ("count", "rate"):
        kind = COUNT if parts[1] == "count" else PER_SECOND
        return Metric("requests", parts[1], kind, filter=only("name", tags=True))
    if head == "errors":
        flt = only("name", tags=True)
        if len(parts) == 2 and parts[1] in ("rate", "count"):
            return Metric("errors", parts[1], RATIO if parts[1] == "rate" else COUNT, filter=flt)
        if len(parts) == 3 and parts[2] == "count":
            problem = error_kind_problem(parts[1])
            if problem:  # a misspelt kind would count 0 and always pass
                after = expr.find("}", ref.filter_pos) if filters else ref.pos
                raise ThresholdError(expr, expr.find("." + parts[1], after) + 1, problem)
            return Metric("error_kind", "count", COUNT, parts[1], flt)
        raise bad(f"unknown metric {ref}; use errors.rate, errors.count or errors.<kind>.count")
    if head == "checks" and parts[1:] == ["rate"]:
        kind = RATIO if parts[1] == "rate" else COUNT
        return Metric("checks", parts[1], kind, filter=only("name"))
    if head == "dropped" and parts[1:] == ["count"]:
        return Metric("dropped", "count", COUNT, filter=only("scenario"))
    if head == "iterations" and len(parts) == 2:
        flt = only("scenario")
        field = parts[1]
        if field in ("count", "rate"):
            return Metric("iterations", field, COUNT if field == "count" else PER_SECOND, filter=flt)
        if _percentile(field) or field in AGGREGATES:
            return Metric("iterations", "avg" if field == "mean" else field, DURATION, filter=flt)
    if is_drift(parts):
        only()
        source, subject = drift_target(parts, bad)
        return Metric(source, DRIFT, RATIO, subject)
    if head == "probe" and len(parts) >= 3:
        only()
        field = parts[-1]
        if field == IMBALANCE:  # probe.NAME.imbalance: the group probe's imbalance at its last sample
            return Metric("probe", "last", RATIO, ".".join(parts[1:]))
        if parts[-2] == IMBALANCE and field in PROBE_FIELDS and field != "growth":
            return Metric("probe", field, RATIO, ".".join(parts[1:-1]))
        if field not in PROBE_FIELDS:
            raise bad(f"probe aggregate {field!r} is not one of {', '.join(PROBE_FIELDS)}")
        return Metric("probe", field, RATIO if field == "growth" else NUMBER, ".".join(parts[1:-1]))
    if head == "pipeline":
        only()
        path = ".".join(parts[1:])
        found = PIPELINE_FIELDS.get(path)
        if found is None:
            # Matched without the shared 'pipeline.' prefix, which would make every field look close.
            close = difflib.get_close_matches(path, list(PIPELINE_FIELDS), n=1, cutoff=0.6)
            names = ", ".join(f"pipeline.{p}" for p in PIPELINE_FIELDS)
            hint = f"; did you mean 'pipeline.{close[0]}'?" if close else f" (one of {names})"
            raise bad(f"unknown pipeline metric {str(ref)!r}{hint}")
        return Metric("pipeline", path, found.kind)
    if head == "recovery" and head not in custom:
        field, flt = resolve_recovery(ref, expr)
        return Metric("recovery", field, COUNT if field == "count" else DURATION, filter=flt)
    if head in custom and len(parts) == 2:
        only()
        kind, field = custom[head], parts[1]
        if kind == "counter" and field in ("count", "value", "rate"):
            return Metric("custom", field, PER_SECOND if field == "rate" else NUMBER, head)
        if kind == "rate" and field == "rate":
            return Metric("custom", "rate", RATIO, head)
        if kind == "trend" and (_percentile(field) or field in AGGREGATES):
            return Metric("custom", "avg" if field == "mean" else field, NUMBER, head)
        raise bad(f"custom {kind} {head!r} has no {field!r}")
    known = [*KNOWN_ROOTS, *custom]
    return _unknown(ref, expr, known)


def _unknown(ref: MetricRef, expr: str, known: list[str]) -> Metric:
    text = str(ref)
    full = [
        "p50",
        "p90",
        "p95",
        "p99",
        "p99.9",
        "avg",
        "min",
        "max",
        "requests.count",
        "requests.rate",
        "errors.rate",
        "errors.count",
        "checks.rate",
        "dropped.count",
        "iterations.count",
        "iterations.rate",
        "http.p95",
        "ttfb.p95",
        *(f"pipeline.{p}" for p in PIPELINE_FIELDS),
    ]
    hint = _suggest(".".join(ref.parts), full) or _suggest(ref.parts[0], known)
    raise ThresholdError(expr, ref.pos, f"unknown metric {text!r}{hint}")


def _bound(raw: RawLevel, kind: str, expr: str) -> Bound:
    v: RawValue = raw.value
    factors = _UNIT_FACTOR[kind]
    if v.unit not in factors:
        allowed = ", ".join(u for u in factors if u) or "no unit"
        raise ThresholdError(
            expr, v.pos, f"unit {v.unit!r} does not fit a {kind.replace('_', ' ')} metric ({allowed})"
        )
    return Bound(raw.comparator, v.number * factors[v.unit], v.text)


def build_threshold(
    expr: str, custom: dict[str, str] | None = None, abort_on_fail: bool = False
) -> Threshold:
    """Parse and resolve ``expr``; ThresholdError (with a position) when it does not make sense."""
    parsed: Parsed = parse(expr)
    metric = resolve_metric(parsed.metric, expr, custom or {})
    levels = {raw.name: _bound(raw, metric.kind, expr) for raw in parsed.levels}
    if (metric.source == "pipeline" and metric.field in PERCENT_ONLY) or is_percent_probe(metric):
        for raw in parsed.levels:
            if raw.value.unit != "%":
                raise ThresholdError(
                    expr,
                    raw.value.pos,
                    f"{parsed.metric} is a percentage: write the bound with %, like < 20%",
                )
    _check_order(parsed, levels, expr)
    delay = 0.0
    if parsed.abort_delay is not None:
        d = parsed.abort_delay
        factor = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}.get(d.unit)
        if factor is None or d.number < 0:
            raise ThresholdError(expr, d.pos, "abort_on_fail delay must be a duration like 10s")
        delay = d.number * factor
    return Threshold(
        expression=expr,
        metric=metric,
        label=str(parsed.metric),
        levels=levels,
        single=parsed.single,
        abort_on_fail=parsed.abort_on_fail or abort_on_fail,
        abort_delay_s=delay,
    )


def _check_order(parsed: Parsed, levels: dict[str, Bound], expr: str) -> None:
    """Levels must tighten toward the target: for '<', target <= acceptable <= critical."""
    if parsed.single:
        return
    given = [name for name in LEVEL_NAMES if name in levels]
    directions = {levels[n].comparator[0] for n in given}
    pos = {raw.name: raw.value.pos for raw in parsed.levels}
    if not directions <= {"<"} and not directions <= {">"}:
        raise ThresholdError(expr, pos[given[-1]], "levels mix '<' and '>' comparators; use one direction")
    if any(levels[n].comparator in ("==", "!=") for n in given):
        raise ThresholdError(expr, pos[given[0]], "levels need an ordering comparator (< <= > >=)")
    for looser, tighter in zip(given[1:], given[:-1], strict=True):
        a, b = levels[tighter].value, levels[looser].value
        wrong = a > b if directions == {"<"} else a < b
        if wrong:
            raise ThresholdError(
                expr,
                pos[looser],
                f"levels in the wrong order: {looser} ({levels[looser].text}) is tighter than "
                f"{tighter} ({levels[tighter].text})",
            )

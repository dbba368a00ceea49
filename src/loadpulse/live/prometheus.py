"""The Prometheus endpoint (``--prometheus[=PORT]``): the running aggregate as Prometheus metrics.

A custom collector renders the live Aggregate at scrape time, so the hot path records nothing twice.
Latency is exported both as a Prometheus histogram (cumulative counts at bucket bounds fit for HTTP, from
loadpulse's own histogram) and as exact percentile gauges. Scenario runs also export what they did besides
HTTP: iterations (count, duration, rate in the latest interval) and the script's custom metrics, labelled by
metric name (a counter's total, a rate's true/total, a trend's percentiles in the script's own unit).
A run that checks a pipeline (sinks) exports its counts and end-to-end latency as ``loadpulse_pipeline_*``
gauges; other runs have none. A run with chaos faults exports each one's state as an annotation
(``loadpulse_fault_active``, 1 while it is on) and its latest recovery time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from loadpulse.live.pipeline_figures import pipeline_figures
from loadpulse.live.state import LiveState
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.histogram import Histogram

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
STATE = {"PASS": 0, "WARN": 1, "FAIL": 2}


def _hist_family(
    name: str, doc: str, per_name: dict[str, Histogram], label: str = "name"
) -> HistogramMetricFamily:
    fam = HistogramMetricFamily(name, doc, labels=[label], unit="seconds")
    for req, h in per_name.items():
        counts = h.count_le([int(b * 1e6) for b in BUCKETS_S])
        buckets = [(str(b), float(c)) for b, c in zip(BUCKETS_S, counts, strict=True)]
        buckets.append(("+Inf", float(h.total)))
        fam.add_metric([req], buckets, sum_value=h.sum_us / 1e6)
    return fam


class AggregateCollector:
    def __init__(self, state: LiveState, secrets: tuple[str, ...] = ()) -> None:
        self.state = state
        self.secrets = secrets

    def _redacted(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def collect(self) -> Iterator[Metric]:
        agg = self.state.aggregate
        names = {self._redacted(n): st for n, st in agg.names.items()} if self.secrets else agg.names
        req = CounterMetricFamily("loadpulse_requests", "Requests ended, by request name.", labels=["name"])
        resp = CounterMetricFamily(
            "loadpulse_responses", "Responses by request name and HTTP status.", labels=["name", "status"]
        )
        errs = CounterMetricFamily(
            "loadpulse_errors",
            "Errors by kind: failed requests, and connections ended with no request waiting (not requests).",
            labels=["name", "kind"],
        )
        for n, st in names.items():
            req.add_metric([n], st.requests)
            for code, count in st.statuses.items():
                resp.add_metric([n, str(code)], count)
            for kind, count in st.errors.items():
                errs.add_metric([n, kind], count)
        yield req
        yield resp
        yield errs
        yield _hist_family(
            "loadpulse_request_duration", "Request latency (from intended start in open models).",
            {n: st.latency for n, st in names.items()},
        )  # fmt: skip
        pct = GaugeMetricFamily(
            "loadpulse_latency_percentile_seconds",
            "Exact latency percentiles over the run so far (loadpulse's HDR histogram).",
            labels=["name", "quantile"],
        )
        for n, st in [("", agg.total), *names.items()]:
            if st.latency.total:
                for q, v in zip(QUANTILES, st.latency.percentiles(QUANTILES), strict=True):
                    pct.add_metric([n or "all", f"{q / 100:g}"], v / 1e6)
        yield pct
        yield GaugeMetricFamily("loadpulse_vus", "Running virtual users.", value=agg.vus)
        yield GaugeMetricFamily("loadpulse_in_flight", "Requests in flight.", value=self.state.in_flight)
        yield CounterMetricFamily("loadpulse_dropped", "Open-model arrivals dropped.", value=agg.dropped)
        yield from _iteration_families(agg)
        yield from _custom_families(agg, self._redacted)
        yield from _pipeline_families(agg)
        yield from _fault_families(self.state, self._redacted)
        checks = CounterMetricFamily(
            "loadpulse_checks", "Checks by name and result.", labels=["check", "result"]
        )
        for c, (ok, bad) in agg.checks.items():
            checks.add_metric([c, "pass"], ok)
            checks.add_metric([c, "fail"], bad)
        yield checks
        probes = GaugeMetricFamily("loadpulse_probe", "Latest target probe values.", labels=["probe"])
        for p, ps in agg.probes.items():
            if ps.last is not None:
                probes.add_metric([p], ps.last)
        yield probes
        th = GaugeMetricFamily(
            "loadpulse_threshold_state", "Threshold verdicts: 0 PASS, 1 WARN, 2 FAIL.", labels=["objective"]
        )
        for r in self.state.verdicts:
            th.add_metric([r.threshold.expression], STATE[r.verdict])
        yield th

    def describe(self) -> Iterable[Metric]:
        return []


def prometheus_app(state: LiveState, secrets: tuple[str, ...] = ()) -> Any:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(state, secrets))
    return make_asgi_app(registry)


def _iteration_families(agg: Aggregate) -> Iterator[Metric]:
    it = CounterMetricFamily("loadpulse_iterations", "Scenario iterations.", labels=["scenario"])
    for sc, sc_stats in agg.scenarios.items():
        it.add_metric([sc], sc_stats.iterations)
    yield it
    yield _hist_family(
        "loadpulse_iteration_duration", "Scenario iteration duration.",
        {sc: st.duration for sc, st in agg.scenarios.items()}, label="scenario",
    )  # fmt: skip
    # The latest interval's rate, scaled by its real length (the last one of a run is partial).
    last = agg.series[-1] if agg.series else None
    rate = last.iterations / last.interval_s if last is not None and last.interval_s > 0 else 0.0
    yield GaugeMetricFamily(
        "loadpulse_iterations_per_second",
        "Scenario iterations per second in the latest interval.",
        value=rate,
    )


def _custom_families(agg: Aggregate, redact: Callable[[str], str]) -> Iterator[Metric]:
    """The script's ctx.counter / ctx.rate / ctx.trend metrics, one family per kind, the name a label."""
    counters = CounterMetricFamily(
        "loadpulse_custom_counter", "Custom counters (ctx.counter).", labels=["metric"]
    )
    rate_true = CounterMetricFamily(
        "loadpulse_custom_rate_true", "Custom rates (ctx.rate): samples that were true.", labels=["metric"]
    )
    rate_all = CounterMetricFamily(
        "loadpulse_custom_rate_samples", "Custom rates (ctx.rate): all samples.", labels=["metric"]
    )
    ratio = GaugeMetricFamily(
        "loadpulse_custom_rate_ratio", "Custom rates (ctx.rate): share of true samples.", labels=["metric"]
    )
    trend = GaugeMetricFamily(
        "loadpulse_custom_trend",
        "Custom trends (ctx.trend): percentiles over the run so far, in the script's unit.",
        labels=["metric", "quantile"],
    )
    trend_count = CounterMetricFamily(
        "loadpulse_custom_trend_samples", "Custom trends (ctx.trend): samples.", labels=["metric"]
    )
    for name, m in sorted(agg.metrics.items()):
        redacted_name = redact(name)
        if m.kind == "counter":
            counters.add_metric([redacted_name], m.value)
        elif m.kind == "rate":
            rate_true.add_metric([redacted_name], m.true)
            rate_all.add_metric([redacted_name], m.total)
            if m.total:
                ratio.add_metric([redacted_name], m.true / m.total)
        else:
            trend_count.add_metric([redacted_name], m.hist.total)
            if m.hist.total:
                for q, v in zip(QUANTILES, m.hist.percentiles(QUANTILES), strict=True):
                    trend.add_metric([redacted_name, f"{q / 100:g}"], v)
    yield from (counters, rate_true, rate_all, ratio, trend, trend_count)


E2E_QUANTILES = (("p50", "0.5"), ("p90", "0.9"), ("p95", "0.95"), ("p99", "0.99"), ("max", "1"))


def _pipeline_families(agg: Aggregate) -> Iterator[Metric]:
    """The pipeline check so far. Gauges, not counters: the check re-reads the sinks, so a figure is its
    latest verdict (lost stays 0 during the load, while unseen items are the backlog, and is set after it)."""
    figures = pipeline_figures(agg.pipeline)
    if figures is None:
        return
    for name, doc, value in (
        ("sent", "Tracked items the system accepted.", figures.sent),
        ("delivered", "Sent items that arrived in the sink.", figures.delivered),
        ("backlog", "Sent items not arrived yet (sent - delivered).", figures.backlog),
        ("lost", "Sent items that never arrived (0 until the load is over).", figures.lost),
        ("duplicates", "Items that arrived more than once.", figures.duplicates),
        ("stuck", "Items seen in a non-final status for longer than --stuck-after.", figures.stuck),
    ):
        yield GaugeMetricFamily(f"loadpulse_pipeline_{name}", doc, value=value)
    e2e = GaugeMetricFamily(
        "loadpulse_pipeline_e2e_seconds",
        "End-to-end latency of arrived items, send to persist time (or first seen); quantile 1 is the max.",
        labels=["quantile"],
    )
    for key, quantile in E2E_QUANTILES:
        ms = figures.e2e_ms.get(key)
        if ms is not None:
            e2e.add_metric([quantile], ms / 1000)
    yield e2e


def _fault_families(state: LiveState, redact: Callable[[str], str]) -> Iterator[Metric]:
    """The chaos faults so far: 1 while a fault is on and 0 once it ended (a kill is on for no time, so it
    reads 0 at any scrape: its recovery says what it did), and each fault's latest recovery time, no
    sample until the run recovered from it, and none when that recovery is not measurable (the settling
    window did not fit: its tentative time is no recovery time). Names as the scenario gave them
    (redacted)."""
    faults = state.faults.by_name()
    if not faults:
        return
    active = GaugeMetricFamily(
        "loadpulse_fault_active", "Chaos fault on (1) or over (0), for annotations.", labels=["name", "kind"]
    )
    recovery = GaugeMetricFamily(
        "loadpulse_fault_recovery_seconds",
        "Fault end to the run's objectives holding again, for the fault's latest occurrence "
        "(no sample: not yet, never, or not measurable).",
        labels=["name"],
    )
    for name, f in faults.items():
        active.add_metric([redact(name), f.kind], 1.0 if f.active else 0.0)
        if f.recovery_s is not None:
            recovery.add_metric([redact(name)], f.recovery_s)
    yield active
    yield recovery

"""The Prometheus endpoint (``--prometheus[=PORT]``): the running aggregate as Prometheus metrics.

A custom collector renders the live Aggregate at scrape time, so the hot path records nothing twice.
Latency is exported both as a Prometheus histogram (cumulative counts at bucket bounds fit for HTTP, from
loadpulse's own histogram) and as exact percentile gauges.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, make_asgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from loadpulse.live.state import LiveState
from loadpulse.metrics.histogram import Histogram

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUANTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
STATE = {"PASS": 0, "WARN": 1, "FAIL": 2}


def _hist_family(name: str, doc: str, per_name: dict[str, Histogram]) -> HistogramMetricFamily:
    fam = HistogramMetricFamily(name, doc, labels=["name"], unit="seconds")
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

    def _label(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def collect(self) -> Iterator[Metric]:
        agg = self.state.aggregate
        names = {self._label(n): st for n, st in agg.names.items()} if self.secrets else agg.names
        req = CounterMetricFamily("loadpulse_requests", "Requests ended, by request name.", labels=["name"])
        resp = CounterMetricFamily(
            "loadpulse_responses", "Responses by request name and HTTP status.", labels=["name", "status"]
        )
        errs = CounterMetricFamily(
            "loadpulse_errors", "Failed requests by error kind.", labels=["name", "kind"]
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
        it = CounterMetricFamily("loadpulse_iterations", "Scenario iterations.", labels=["scenario"])
        for sc, sc_stats in agg.scenarios.items():
            it.add_metric([sc], sc_stats.iterations)
        yield it
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
        for r in self.state.thresholds:
            th.add_metric([r.objective.expression], STATE[r.verdict])
        yield th

    def describe(self) -> Iterable[Metric]:
        return []


def prometheus_app(state: LiveState, secrets: tuple[str, ...] = ()) -> Any:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(state, secrets))
    return make_asgi_app(registry)

"""The Prometheus endpoint exports iterations and the script's custom metrics (issue 10, item 21)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from loadpulse.live.prometheus import AggregateCollector
from loadpulse.live.state import LiveState
from tests.results.results_factory import scenario_results


def scrape(secrets: tuple[str, ...] = ()) -> str:
    r = scenario_results(seconds=3, jobs_per_s=100, iterations_per_s=50)
    state = LiveState()
    state.aggregate.series = r.series
    state.aggregate.scenarios = r.scenarios
    state.aggregate.metrics = r.metrics
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AggregateCollector(state, secrets))
    return generate_latest(registry).decode()


def test_iterations_and_custom_metrics_are_exported() -> None:
    text = scrape()
    assert 'loadpulse_iterations_total{scenario="default"}' in text
    assert 'loadpulse_iteration_duration_seconds_count{scenario="default"}' in text
    rate = next(line for line in text.splitlines() if line.startswith("loadpulse_iterations_per_second "))
    assert 30 < float(rate.split()[1]) < 70  # the partial last interval is scaled by its real length
    assert 'loadpulse_custom_counter_total{metric="jobs"}' in text
    assert 'loadpulse_custom_rate_true_total{metric="ok"}' in text
    assert 'loadpulse_custom_rate_samples_total{metric="ok"}' in text
    assert 'loadpulse_custom_rate_ratio{metric="ok"}' in text
    assert 'loadpulse_custom_trend{metric="queue",quantile="0.95"}' in text
    assert 'loadpulse_custom_trend_samples_total{metric="queue"}' in text


def test_custom_metric_names_are_redacted_like_request_names() -> None:
    assert 'metric="j[redacted]"' in scrape(("obs",))

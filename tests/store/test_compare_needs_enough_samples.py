"""compare gives no verdict from a handful of values and never compares the '(other)' catch-all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.results.document import Results, results_of
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec
from loadpulse.store.compare import REGRESSION, SAME, TOO_FEW, compare, regressions
from loadpulse.store.statistics import MIN_SAMPLES, is_grouped
from tests.conftest import CliResult
from tests.results.results_factory import scenario_results


def run_of(latencies_us: Sequence[int], names: Sequence[str] = ("GET /",), seconds: int = 1) -> Results:
    """A run whose every name got ``latencies_us`` in each of ``seconds`` one-second intervals."""
    rec = Recorder()
    agg = Aggregate()
    for s in range(1, seconds + 1):
        for name in names:
            n = rec.for_name(name, http_status_kind)
            n.lat.extend(latencies_us)
            n.status.extend([200] * len(latencies_us))
        agg.add(rec.cut(s * 1_000_000_000))
    spec = RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/"),), load=LoadSpec(duration_s=seconds))
    outcome = RunOutcome(
        spec=spec, aggregate=agg, started_at=datetime(2026, 11, 23, tzinfo=UTC), ended_by="requests"
    )
    outcome.run_id = "run"
    return results_of(outcome, build_summary(outcome))


def test_two_single_request_runs_are_too_few_samples_not_a_regression() -> None:
    deltas = compare(run_of([10_000]), run_of([10_740]))
    by = {d.metric: d for d in deltas}
    assert by["latency p50"].verdict == TOO_FEW
    assert by["latency p50"].interval is None  # never a [x, x] interval from one value
    assert by["latency p50"].samples == (1, 1)
    assert by["throughput (median req/s)"].verdict == TOO_FEW
    assert by["error rate"].verdict == TOO_FEW and by["error rate"].p_value is None
    assert regressions(deltas) == []


def test_a_verdict_needs_min_samples_on_each_side() -> None:
    few, enough = [10_000] * (MIN_SAMPLES - 1), [10_000] * MIN_SAMPLES
    slower_few, slower = [20_000] * (MIN_SAMPLES - 1), [20_000] * MIN_SAMPLES
    assert {d.metric: d.verdict for d in compare(run_of(few), run_of(slower))}["latency p50"] == TOO_FEW
    assert {d.metric: d.verdict for d in compare(run_of(enough), run_of(slower_few))}[
        "latency p50"
    ] == TOO_FEW
    assert {d.metric: d.verdict for d in compare(run_of(enough), run_of(slower))}["latency p50"] == REGRESSION


def test_throughput_needs_six_steady_seconds_a_side() -> None:
    lat = [10_000] * 50
    short = {d.metric: d for d in compare(run_of(lat, seconds=7), run_of(lat, seconds=7))}
    assert short["throughput (median req/s)"].verdict == TOO_FEW  # 5 steady intervals a side
    long = {d.metric: d for d in compare(run_of(lat, seconds=8), run_of(lat, seconds=8))}
    assert long["throughput (median req/s)"].verdict == SAME


def test_other_is_never_compared_name_by_name() -> None:
    names = [f"GET /item/{i}" for i in range(1_005)]  # past the 1,000-name cap: the rest is '(other)'
    base, cand = run_of([10_000] * 20, names), run_of([90_000] * 20, names)
    assert "(other)" in base.names and "(other)" in cand.names
    deltas = compare(base, cand)
    per_name = [d for d in deltas if d.name is not None]
    assert len(per_name) == 1_000
    assert not any(d.name is not None and is_grouped(d.name) for d in deltas)
    assert not any("(other)" in d.metric for d in deltas)


def test_grouped_names_are_recognised() -> None:
    assert is_grouped("(other)") and is_grouped("GET (other)") and is_grouped("(other counters)")
    assert not is_grouped("GET /other") and not is_grouped("other")


def test_short_scenario_runs_are_too_few_samples_for_rates_of_iterations_and_counters() -> None:
    deltas = {d.metric: d for d in compare(scenario_results(seconds=3), scenario_results(seconds=3, seed=1))}
    assert deltas["iterations (median it/s)"].verdict == TOO_FEW
    assert deltas["jobs (median /s)"].verdict == TOO_FEW
    assert deltas["queue p95"].verdict != TOO_FEW  # hundreds of trend values: enough for a percentile


def test_compare_command_on_one_request_runs_does_not_fail(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    from loadpulse.outputs.files import write_results

    write_results(run_of([10_000]), tmp_path / "a.json")
    write_results(run_of([10_740]), tmp_path / "b.json")
    r = cli("compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--fail-on-regression")
    assert r.code == 0, r.out + r.err
    assert "too few samples" in r.out and "n = 1 vs 1" in r.out
    assert "[+0.0" not in r.out  # no interval from one value

"""compare on what a scenario without HTTP did: iterations and custom metrics (issue 10, item 21)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from rich.console import Console

from loadpulse.outputs.comparison import comparison_markdown, print_comparison
from loadpulse.outputs.files import write_results
from loadpulse.store.compare import IMPROVEMENT, SAME, compare
from loadpulse.store.compare_custom import DECREASE, INCREASE
from tests.conftest import CliResult
from tests.results.results_factory import scenario_results, synthetic_results


def by_metric(deltas: list) -> dict:  # type: ignore[type-arg]
    return {d.metric: d for d in deltas}


def test_262_vs_765_jobs_per_second_is_a_significant_increase_not_0_vs_0() -> None:
    base = scenario_results(jobs_per_s=262, iterations_per_s=100)
    cand = scenario_results(jobs_per_s=765, iterations_per_s=300, queue_depth=20, ok_share=0.5, seed=1)
    d = by_metric(compare(base, cand))
    assert "throughput (median req/s)" not in d and "error rate" not in d  # no HTTP: no 0.0/s rows
    assert d["jobs (median /s)"].verdict == INCREASE
    assert abs(d["jobs (median /s)"].baseline - 262) < 10 and abs(d["jobs (median /s)"].candidate - 765) < 25
    assert d["iterations (median it/s)"].verdict == IMPROVEMENT
    assert d["ok (rate)"].verdict == DECREASE and abs(d["ok (rate)"].candidate - 0.5) < 0.05
    assert d["queue p95"].verdict == INCREASE and d["queue p95"].interval is not None


def test_the_same_scenario_twice_is_no_significant_change() -> None:
    deltas = compare(scenario_results(seed=0), scenario_results(seed=2))
    assert {d.metric for d in deltas} == {
        "iterations (median it/s)",
        "jobs (median /s)",
        "ok (rate)",
        "queue p95",
    }
    assert {d.verdict for d in deltas} == {SAME}


def test_http_runs_keep_their_rows_and_gain_none() -> None:
    deltas = compare(synthetic_results(seed=0), synthetic_results(seed=1))
    assert deltas[0].metric == "throughput (median req/s)"
    assert not any("iterations" in d.metric for d in deltas)


def test_custom_metrics_print_in_their_own_unit() -> None:
    deltas = compare(scenario_results(), scenario_results(jobs_per_s=765, seed=1))
    out = StringIO()
    print_comparison(Console(file=out, width=200), "a", "b", deltas)
    text = out.getvalue()
    assert "jobs (median /s)" in text and "significant increase" in text and "queue p95" in text
    assert "| jobs (median /s) |" in comparison_markdown("a", "b", deltas)


def test_compare_command_on_scenario_results(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    write_results(scenario_results(jobs_per_s=262), tmp_path / "a.json")
    write_results(scenario_results(jobs_per_s=765, seed=1), tmp_path / "b.json.gz")
    r = cli(
        "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json.gz"), "--json", "--fail-on-regression"
    )
    assert r.code == 0, r.err  # a direction-neutral change is never a regression
    deltas = {d["metric"]: d for d in json.loads(r.out)["deltas"]}
    assert deltas["jobs (median /s)"]["verdict"] == INCREASE

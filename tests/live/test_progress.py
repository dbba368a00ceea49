"""The progress line counts iteration budgets and writes probe values plainly (issue 10, item 23)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from loadpulse.live.dashboard import DashboardState
from loadpulse.live.progress import ProgressLine, probe_value
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.scenario_stats import ScenarioStats


def row(**probes: float) -> SeriesRow:
    return SeriesRow(
        t_s=1.0, interval_s=1.0, requests=10, ok=10, failed=0, rate=10.0, p50_ms=1.0, p90_ms=1.0,
        p95_ms=1.0, p99_ms=1.0, max_ms=1.0, errors={}, dropped=0, in_flight=0, connections=1,
        probes=dict(probes),
    )  # fmt: skip


def aggregate(iterations: int) -> Aggregate:
    agg = Aggregate()
    agg.scenarios = {"a": ScenarioStats(iterations=iterations - 1000), "b": ScenarioStats(iterations=1000)}
    agg.elapsed_ns = 4_000_000_000
    return agg


def test_iteration_budget_shows_done_of_total() -> None:
    line = ProgressLine(Console(file=io.StringIO()), planned_s=600.0, planned_requests=None,
                        planned_iterations=10_000)  # fmt: skip
    text = line.render(row(), aggregate(5000)).plain
    assert "5,000/10,000 (50.0%)" in text and "ETA 4.0s" in text


def test_time_bound_plan_shows_a_percentage_of_time() -> None:
    line = ProgressLine(Console(file=io.StringIO()), planned_s=8.0, planned_requests=None)
    assert " 50%" in line.render(row(), aggregate(5)).plain


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1_234_567.0, "1,234,567"), (3.5e15, "3,500,000,000,000,000"), (0.25, "0.25"), (1e-9, "0"),
     (12.3456, "12.346"), (-2e7, "-20,000,000")],
)  # fmt: skip
def test_probe_values_are_never_in_scientific_notation(value: float, shown: str) -> None:
    assert probe_value(value) == shown
    line = ProgressLine(Console(file=io.StringIO()), planned_s=8.0, planned_requests=None)
    text = line.render(row(queue=value), aggregate(5)).plain
    assert f"queue {shown}" in text and "e+" not in text and "e-" not in text


def test_dashboard_shows_the_iteration_budget_not_the_safety_limit() -> None:
    state = DashboardState("t", 600.0, planned_iterations=1000)
    msg = state.message(0)
    assert msg["planned_s"] is None and msg["planned_iterations"] == 1000
    assert DashboardState("t", 30.0).message(0)["planned_s"] == 30.0


def test_a_probe_name_with_control_characters_is_escaped_on_the_progress_line() -> None:
    line = ProgressLine(Console(file=io.StringIO()), planned_s=8.0, planned_requests=None)
    text = line.render(row(**{"q\x1b[2J\nverdict PASS": 1.0}), aggregate(5)).plain
    assert "\x1b" not in text and "\n" not in text
    assert "q\\x1b[2J\\nverdict PASS 1" in text

"""Custom trends in the console summary: three significant digits, ``*_ms`` names as durations, and "no
data" (not a row of zeros) for a trend that recorded nothing; a run with no request says so without
naming a protocol."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from rich.console import Console

from loadpulse.metrics.figure_text import fmt_significant, trend_value
from loadpulse.metrics.scenario_stats import MetricsRecorder
from loadpulse.outputs.console import print_summary
from loadpulse.outputs.trend_values import trend_text
from loadpulse.outputs.verdicts import markdown
from loadpulse.results.summary import metric_block
from tests.results.results_factory import scenario_results

EMPTY = {"kind": "trend", "min": 0, "mean": 0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "p999": 0, "max": 0,
         "count": 0}  # fmt: skip
RAW = {"kind": "trend", "min": 0.001463, "mean": 12.0, "p50": 12.3456, "p90": 50.0, "p95": 99.987,
       "p99": 300.0, "p999": 400.0, "max": 424.264, "count": 1234}  # fmt: skip


def scenario_summary(metrics: dict[str, Any] | None = None) -> dict[str, Any]:
    """A scenario run's summary (no request recorded) with these custom metrics."""
    s = scenario_results(seconds=2).summary
    s["target"] = {"url": "", "method": None, "headers": []}
    s["load"] = {"source": "scenario.py", "vus_peak": 2, "duration_s": 2.0}
    profile = {"profile": "constant-vus", "vus": 2}
    iteration_ms = dict.fromkeys(("min", "mean", "p50", "p90", "p95", "p99", "p999", "max"))
    s["scenarios"] = {
        "default": {"profile": profile, "tasks": [], "iterations": 40, "iteration_rate": 20.0,
                    "iteration_ms": iteration_ms, "dropped": 0, "interrupted": 0, "script_errors": {}}
    }  # fmt: skip
    s["checks"] = {}
    s["metrics"] = metrics or {}
    return s


def printed(s: dict[str, Any]) -> str:
    out = StringIO()
    print_summary(Console(file=out, width=200, color_system=None), s)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "plain", "as_ms"),
    [
        (0.001463, "0.00146", "1.46 µs"),
        (424.264, "424", "424 ms"),
        (12.3456, "12.3", "12.3 ms"),
        (9.996, "10.0", "10.0 ms"),  # the rounding's extra digit dropped
        (999.6, "1,000", "1.00 s"),  # the unit of the value as shown
        (4242.0, "4,242", "4.24 s"),
        (-3.14159, "-3.14", "-3.14 ms"),
        (0.0, "0", "0 ms"),
        (None, "\u2013", "\u2013"),
    ],
)
def test_three_significant_digits_and_ms_names_as_durations(
    value: float | None, plain: str, as_ms: str
) -> None:
    assert fmt_significant(value) == plain
    assert trend_value("queue", value) == plain
    assert trend_value("wait_ms", value) == as_ms


def test_an_empty_trend_says_no_data() -> None:
    assert trend_text("ws_push_gap_ms", EMPTY) == "no data"
    text = trend_text("db_ms", RAW)
    assert text == "min 1.46 µs  p50 12.3 ms  p95 100 ms  max 424 ms  (n=1,234)"


def test_console_rows_of_custom_trends() -> None:
    s = scenario_summary({"ws_push_gap_ms": EMPTY, "db_ms": RAW, "depth": {**RAW, "count": 7}})
    rows = {line.split()[0]: line for line in printed(s).splitlines() if line.split()}
    assert rows["ws_push_gap_ms"].split()[1:] == ["trend", "no", "data"]
    assert "min 1.46 µs  p50 12.3 ms  p95 100 ms  max 424 ms  (n=1,234)" in rows["db_ms"]
    assert "min 0.00146  p50 12.3  p95 100  max 424  (n=7)" in rows["depth"]
    assert "0.001463" not in printed(s) and "424.264" not in printed(s)


def test_a_rate_metric_that_recorded_nothing_says_no_data_not_zero_percent() -> None:
    m = MetricsRecorder()
    m.declare("cache_hit", "rate")
    m.declare("ok", "rate")
    m.add_rate("ok", True)
    m.add_rate("ok", False)
    blocks = {name: metric_block(metric, 2.0) for name, metric in m.cut()[1].items()}
    assert blocks["cache_hit"] == {"kind": "rate", "true": 0, "total": 0, "rate": None}
    assert blocks["ok"]["rate"] == 0.5
    rows = {line.split()[0]: line for line in printed(scenario_summary(blocks)).splitlines() if line.split()}
    assert rows["cache_hit"].split()[1:] == ["rate", "no", "data"]
    assert rows["ok"].split()[1:] == ["rate", "50.00%", "of", "2"]


def test_a_run_without_requests_names_no_protocol() -> None:
    s = scenario_summary()
    assert s["requests"]["total"] == 0
    out = printed(s)
    assert "no requests: the run's work is in the iterations and metrics below" in out
    assert "HTTP" not in out
    assert "no requests" in markdown(s) and "HTTP" not in markdown(s)


def test_a_run_whose_requests_are_websocket_or_grpc_shows_them() -> None:
    s = scenario_summary()
    s["requests"] = {"total": 10, "ok": 10, "failed": 0, "rate": 5.0}
    out = printed(s)
    assert "no requests" not in out and "requests  10" in out


def test_compare_shows_custom_trends_the_same_way() -> None:
    from loadpulse.outputs.comparison import comparison_markdown
    from loadpulse.store.compare import SAME, Delta

    rows = [
        Delta("db_ms p95", 0.001463, 424.264, "", "bootstrap", None, (0.1, 0.2), SAME, (50, 50), "db_ms"),
        Delta("depth p95", 0.001463, 424.264, "", "bootstrap", None, (0.1, 0.2), SAME, (50, 50), "depth"),
    ]
    md = comparison_markdown("a", "b", rows)
    assert "| 1.46 µs | 424 ms |" in md and "| 0.00146 | 424 |" in md


def test_interrupted_iterations_are_not_called_unfinished_requests() -> None:
    """In a scenario run, abandoned = iterations cut at the end (their own column), not failed requests."""
    s = scenario_summary()
    s["abandoned"] = 1
    s["scenarios"]["default"]["interrupted"] = 1
    text = printed(s)
    assert "counted as failed" not in text
    assert "interrupted" in text

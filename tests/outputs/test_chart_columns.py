"""Charts scale every count by its interval's real length: the last, partial interval is no drop to ~0
(issue 10, item 25)."""

from __future__ import annotations

from loadpulse.outputs.html_report import report_data
from tests.results.results_factory import scenario_results, synthetic_results


def test_the_partial_last_interval_is_drawn_at_the_runs_pace() -> None:
    r = scenario_results(seconds=5, iterations_per_s=200, tail_s=0.05)
    assert r.series[-1].interval_s < 0.1
    its = report_data(r)["series"]["iterations"]
    assert len(its) == 6 and min(its) > 150, its


def test_errors_and_dropped_are_per_second() -> None:
    r = synthetic_results(seconds=3, rate=500, error_share=0.5)
    last = r.series[-1]
    last.interval_s = 0.1  # as if the last interval were a tenth of a second
    cols = report_data(r)["series"]
    assert cols["errors"]["http_5xx"][-1] == round(last.errors["http_5xx"] / 0.1, 2)
    assert cols["failed"][-1] == round(last.failed / 0.1, 2)

"""The progress line shows a pipeline's backlog, its lost and duplicated items, and fits the terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from loadpulse.live.pipeline_figures import pipeline_figures
from loadpulse.live.progress import ProgressLine
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.scenario_stats import ScenarioStats


def row(**probes: float) -> SeriesRow:
    return SeriesRow(
        t_s=1.0, interval_s=1.0, requests=10, ok=10, failed=0, rate=10.0, p50_ms=1.0, p90_ms=1.0,
        p95_ms=1.0, p99_ms=1.0, max_ms=1.0, errors={}, dropped=0, in_flight=0, connections=1, vus=5,
        probes=dict(probes),
    )  # fmt: skip


def pipeline(sent: int, delivered: int, lost: int = 0, dup: int = 0, after: bool = False) -> dict[str, Any]:
    return {
        "sent": sent, "delivered": delivered, "lost": {"count": lost, "rate": lost / sent if sent else 0.0},
        "duplicates": {"count": dup, "ids": []}, "stuck": {"count": 0, "ids": []},
        "e2e_ms": {"p50": 1.0, "p90": 2.0, "p95": 3.0, "p99": 4.0, "max": 5.0},
        "drain_s": 1.5 if after else None, "drained": after and not lost,
    }  # fmt: skip


def aggregate(pipe: dict[str, Any] | None) -> Aggregate:
    agg = Aggregate()
    agg.scenarios = {"a": ScenarioStats(iterations=10)}
    agg.elapsed_ns = 4_000_000_000
    agg.pipeline = pipe
    return agg


def line(pipe: dict[str, Any] | None, width: int | None = None, **probes: float) -> str:
    progress = ProgressLine(Console(file=io.StringIO()), planned_s=8.0, planned_requests=None)
    return progress.render(row(**probes), aggregate(pipe), width).plain


def test_a_run_without_a_pipeline_shows_no_pipeline_fields() -> None:
    text = line(None)
    assert "backlog" not in text and "lost" not in text and "dup" not in text


def test_during_the_load_the_backlog_is_sent_minus_delivered() -> None:
    text = line(pipeline(sent=5_000, delivered=3_766))
    assert "backlog 1,234" in text
    assert "lost" not in text and "dup" not in text  # nothing lost or duplicated: no noise


def test_duplicates_show_once_there_are_any_and_lost_after_the_load() -> None:
    assert "dup 2" in line(pipeline(sent=100, delivered=90, dup=2))
    after = line(pipeline(sent=100, delivered=97, lost=3, dup=2, after=True))
    assert "lost 3" in after and "dup 2" in after
    # The missing items are lost now, not a backlog as well (that would read as six missing).
    assert "backlog" not in after


def test_after_the_load_items_neither_arrived_nor_lost_stay_backlog() -> None:
    # 10 missing: 3 lost, 7 seen in a non-final status or unverified (a sink that failed).
    after = line(pipeline(sent=100, delivered=90, lost=3, after=True))
    assert "backlog 7" in after and "lost 3" in after


def test_a_drained_pipeline_shows_nothing_left() -> None:
    after = line(pipeline(sent=100, delivered=100, after=True))
    assert "backlog" not in after and "lost" not in after


def test_the_backlog_is_never_negative() -> None:
    # A floor, so a stale or odd pipeline object never shows a negative count.
    assert "backlog 0" in line(pipeline(sent=3, delivered=5))


def test_a_narrow_terminal_drops_probes_bar_and_vus_before_the_pipeline() -> None:
    pipe = pipeline(sent=5_000, delivered=3_766, dup=1)
    wide = line(pipe, 200, queue=12.0, workers=4.0)
    assert "queue 12" in wide and "━" in wide and "VUs 5" in wide and "ETA" in wide
    narrow = line(pipe, 80, queue=12.0, workers=4.0)
    assert len(narrow) <= 80, narrow
    assert "backlog 1,234" in narrow and "dup 1" in narrow and "p95" in narrow and "failed 0" in narrow
    assert "queue" not in narrow and "━" not in narrow


def test_fields_that_cannot_go_are_kept_and_the_line_never_wraps() -> None:
    progress = ProgressLine(Console(file=io.StringIO(), width=30), planned_s=8.0, planned_requests=None)
    text = progress.render(row(), aggregate(pipeline(sent=10, delivered=5)), 30)
    assert "backlog 5" in text.plain and text.no_wrap


def test_a_log_line_keeps_every_field() -> None:
    out = io.StringIO()
    progress = ProgressLine(Console(file=out, width=40), planned_s=8.0, planned_requests=None)
    progress.update(None, row(queue=1.0), aggregate(pipeline(sent=10, delivered=5)))  # type: ignore[arg-type]
    printed = out.getvalue()
    assert "backlog 5" in printed and "queue 1" in printed and "VUs 5" in printed


def test_figures_read_only_the_documented_keys() -> None:
    assert pipeline_figures(None) is None
    f = pipeline_figures({"sent": 4, "delivered": 1, "lost": {"count": 0, "rate": 0.0}, "drain_s": None})
    assert f is not None and (f.backlog, f.pending, f.duplicates, f.after_load) == (3, 3, 0, False)
    assert f.e2e_ms["p95"] is None

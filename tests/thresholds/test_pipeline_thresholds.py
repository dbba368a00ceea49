"""``pipeline.*`` thresholds: parsed like every other, measured from ``Aggregate.pipeline`` (the
Summary JSON ``pipeline`` object, built here by the real Tracker and Reconciler)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import COUNT, DURATION, PIPELINE_FIELDS, RATIO, build_threshold
from loadpulse.thresholds.verdict import FAIL, PASS, WARN, evaluate, measure
from tests.conftest import CliResult
from tests.results.pipeline_factory import pipeline_dict


def with_pipeline(pipeline: dict[str, Any] | None) -> Aggregate:
    agg = Aggregate()
    agg.pipeline = pipeline
    return agg


def verdict(expr: str, agg: Aggregate) -> tuple[str, float | None]:
    (result,) = evaluate([build_threshold(expr)], agg)
    return result.verdict, result.actual


@pytest.fixture(scope="module")
def troubled() -> Aggregate:
    """100 sent: 3 lost, 2 stuck, 95 delivered 40 ms after their send on two workers, 2 duplicates,
    1 unexpected, 1 rejected; not drained (the lost and stuck ones never arrive)."""
    return with_pipeline(pipeline_dict(lost=3, duplicates=2, unexpected=1, stuck=2, rejected=1))


@pytest.fixture(scope="module")
def clean() -> Aggregate:
    return with_pipeline(pipeline_dict())


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("lost.count", COUNT),
        ("lost.rate", RATIO),
        ("duplicates.count", COUNT),
        ("unexpected.count", COUNT),
        ("stuck.count", COUNT),
        ("e2e.p50", DURATION),
        ("e2e.p99", DURATION),
        ("e2e.max", DURATION),
        ("drain", DURATION),
        ("fairness", RATIO),
        ("delivered.count", COUNT),
        ("sent.count", COUNT),
    ],
)
def test_every_pipeline_metric_resolves_with_its_kind(path: str, kind: str) -> None:
    bound = "20%" if path == "fairness" else "1"
    t = build_threshold(f"pipeline.{path} < {bound}")
    assert (t.metric.source, t.metric.field, t.metric.kind) == ("pipeline", path, kind)


def test_units_reach_the_base_unit() -> None:
    assert build_threshold("pipeline.fairness < 20%").levels["critical"].value == pytest.approx(0.2)
    assert build_threshold("pipeline.lost.rate < 0.1%").levels["critical"].value == pytest.approx(0.001)
    assert build_threshold("pipeline.drain < 10s").levels["critical"].value == 10_000.0
    assert build_threshold("pipeline.e2e.p95 < 2s").levels["critical"].value == 2_000.0


@pytest.mark.parametrize(
    ("expr", "message", "column"),
    [
        ("pipeline.lots.count == 0", "did you mean 'pipeline.lost.count'?", 1),
        ("pipeline.e2e.p97 < 1s", "unknown pipeline metric 'pipeline.e2e.p97'", 1),
        ("pipline.lost.count == 0", "did you mean 'pipeline.lost.count'?", 1),
        ("pipeline.fairness < 20", "is a percentage: write the bound with %", 21),
        ("pipeline.fairness: target<10% critical<0.3", "is a percentage", 40),
        ("pipeline{name=x}.lost.count == 0", "filter {name=...} is not available", 9),
        ("pipeline.drain < 10%", "does not fit a duration metric", 18),
    ],
)
def test_bad_pipeline_expressions_say_what_is_wrong(expr: str, message: str, column: int) -> None:
    with pytest.raises(ThresholdError) as info:
        build_threshold(expr)
    assert message in info.value.message, info.value.message
    assert info.value.pos + 1 == column, info.value.render()
    assert "\n" not in info.value.render()


def test_a_far_off_pipeline_field_lists_the_fields() -> None:
    with pytest.raises(ThresholdError) as info:
        build_threshold("pipeline.zzzz < 1")
    assert all(f"pipeline.{p}" in info.value.message for p in PIPELINE_FIELDS)


@pytest.mark.parametrize(
    ("expr", "expected", "actual"),
    [
        ("pipeline.lost.count == 0", FAIL, 3.0),
        ("pipeline.lost.count <= 3", PASS, 3.0),
        ("pipeline.lost.rate < 0.1%", FAIL, 0.03),
        ("pipeline.lost.rate < 5%", PASS, 0.03),
        ("pipeline.duplicates.count == 0", FAIL, 2.0),
        ("pipeline.unexpected.count == 1", PASS, 1.0),
        ("pipeline.stuck.count == 0", FAIL, 2.0),
        ("pipeline.rejected.count == 1", PASS, 1.0),
        ("pipeline.sent.count == 100", PASS, 100.0),
        ("pipeline.delivered.count >= 95", PASS, 95.0),
        ("pipeline.e2e.p95 < 2s", PASS, 40.0),
        ("pipeline.e2e.p50 < 30ms", FAIL, 40.0),
        ("pipeline.e2e.max: target<30ms critical<50ms", WARN, 40.0),
        ("pipeline.fairness < 20%", PASS, None),  # 48 vs 47: about 1 %
        ("pipeline.fairness < 1%", FAIL, None),
        ("pipeline.drain < 10s", FAIL, None),  # never drained: the time waited is no drain time
        ("pipeline.lost.count: target==0 critical<5", None, 3.0),
    ],
)
def test_pipeline_verdicts(
    troubled: Aggregate, expr: str, expected: str | None, actual: float | None
) -> None:
    if expected is None:  # '==' levels are refused like on every other metric
        with pytest.raises(ThresholdError):
            build_threshold(expr)
        return
    got, measured = verdict(expr, troubled)
    assert got == expected, (expr, measured)
    if actual is not None:
        assert measured == pytest.approx(actual), expr


def test_fairness_is_measured_as_a_fraction_of_the_percent(troubled: Aggregate) -> None:
    pct = troubled.pipeline["fairness_pct"] if troubled.pipeline else None
    assert pct is not None and 0 < pct < 5
    assert measure(build_threshold("pipeline.fairness < 20%").metric, troubled) == pytest.approx(pct / 100)


def test_a_clean_pipeline_passes_the_guides_thresholds(clean: Aggregate) -> None:
    for expr in (
        "pipeline.lost.count == 0",
        "pipeline.lost.rate < 0.1%",
        "pipeline.duplicates.count == 0",
        "pipeline.e2e.p95 < 2s",
        "pipeline.drain < 10s",
        "pipeline.fairness < 20%",
        "pipeline.stuck.count == 0",
    ):
        assert verdict(expr, clean)[0] == PASS, expr
    assert measure(build_threshold("pipeline.drain < 1s").metric, clean) == pytest.approx(29.0)


def test_no_sink_is_no_data(clean: Aggregate) -> None:
    for path in PIPELINE_FIELDS:
        bound = "20%" if path == "fairness" else "1"
        got, actual = verdict(f"pipeline.{path} < {bound}", with_pipeline(None))
        assert (got, actual) == (FAIL, None), path


def test_figures_not_known_yet_are_no_data() -> None:
    running = with_pipeline(pipeline_dict(load_ended=False))
    assert measure(build_threshold("pipeline.drain < 10s").metric, running) is None
    nothing_arrived = with_pipeline(pipeline_dict(lost=10, sent=10))
    assert measure(build_threshold("pipeline.e2e.p95 < 1s").metric, nothing_arrived) is None
    no_workers = with_pipeline(pipeline_dict(workers=()))
    assert measure(build_threshold("pipeline.fairness < 20%").metric, no_workers) is None


def test_loss_is_unknown_while_the_sink_fails() -> None:
    """Items not seen while the sink could not be read are unverified: 'lost == 0' must not pass on them."""
    failing = with_pipeline(pipeline_dict(lost=2, sink_failed=True))
    assert failing.pipeline is not None and failing.pipeline["unverified"] == 2
    assert verdict("pipeline.lost.count == 0", failing) == (FAIL, None)
    assert verdict("pipeline.lost.rate < 1%", failing) == (FAIL, None)
    assert verdict("pipeline.delivered.count == 98", failing) == (PASS, 98.0)


def test_abort_on_fail_works_on_pipeline_metrics() -> None:
    t = build_threshold("pipeline.duplicates.count == 0 abort_on_fail=5s")
    assert t.abort_on_fail and t.abort_delay_s == 5.0


def test_a_bad_pipeline_threshold_is_exit_2_before_any_load(cli: Callable[..., CliResult]) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "-t", "pipeline.lots.count == 0")
    assert r.code == 2 and "Traceback" not in r.err
    first = r.err.splitlines()[0]
    assert "unknown pipeline metric 'pipeline.lots.count'; did you mean 'pipeline.lost.count'?" in first


def test_nothing_sent_is_no_data_for_the_loss_and_in_progress_is_a_count() -> None:
    """Every ctx.track failing leaves sent 0: 'lost == 0' must not pass on a check that checked nothing."""
    none_sent = with_pipeline(pipeline_dict(sent=0))
    assert none_sent.pipeline is not None and none_sent.pipeline["sent"] == 0
    assert verdict("pipeline.lost.count == 0", none_sent) == (FAIL, None)
    assert verdict("pipeline.lost.rate < 1%", none_sent) == (FAIL, None)
    agg = with_pipeline(pipeline_dict())
    assert agg.pipeline is not None
    agg.pipeline["in_progress"] = 3
    assert verdict("pipeline.in_progress.count == 0", agg) == (FAIL, 3.0)

"""``probe.NAME.imbalance`` thresholds (issue 11 item 7): a group probe's imbalance series holds percents,
its thresholds are ratios written with %, levels and abort_on_fail like any other."""

from __future__ import annotations

import pytest

from loadpulse.metrics.aggregate import Aggregate, ProbeStats
from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import NUMBER, RATIO, Metric, build_threshold
from loadpulse.thresholds.verdict import FAIL, PASS, WARN, evaluate


def sampled(name: str, *values: float) -> Aggregate:
    agg = Aggregate()
    stats = agg.probes.setdefault(name, ProbeStats())
    for v in values:
        stats.add(v)
    return agg


def verdict(expr: str, agg: Aggregate) -> tuple[str, float | None]:
    (result,) = evaluate([build_threshold(expr)], agg)
    return result.verdict, result.actual


@pytest.mark.parametrize(
    ("expr", "metric"),
    [
        ("probe.per_channel.imbalance < 20%", Metric("probe", "last", RATIO, "per_channel.imbalance")),
        ("probe.per_channel.imbalance.max < 20%", Metric("probe", "max", RATIO, "per_channel.imbalance")),
        ("probe.per_channel.imbalance.avg < 20%", Metric("probe", "avg", RATIO, "per_channel.imbalance")),
        # growth stays a plain ratio of the series, not a percent of it
        ("probe.q.imbalance.growth < 0.5", Metric("probe", "growth", RATIO, "q.imbalance")),
        ("probe.per_channel.groups.last == 100", Metric("probe", "last", NUMBER, "per_channel.groups")),
    ],
)
def test_imbalance_metrics_resolve(expr: str, metric: Metric) -> None:
    assert build_threshold(expr).metric == metric


def test_the_bound_must_say_percent() -> None:
    with pytest.raises(ThresholdError, match=r"is a percentage: write the bound with %, like < 20%"):
        build_threshold("probe.per_channel.imbalance < 20")
    with pytest.raises(ThresholdError, match="is a percentage"):
        build_threshold("probe.per_channel.imbalance: target<10% critical<0.3")


def test_last_sample_is_judged_as_a_share() -> None:
    # Early samples of a count are lumpy (one row is 300 % off); the bare metric is the latest sample.
    agg = sampled("per_channel.imbalance", 300.0, 40.0, 12.5)
    assert verdict("probe.per_channel.imbalance < 20%", agg) == (PASS, 0.125)
    assert verdict("probe.per_channel.imbalance < 10%", agg) == (FAIL, 0.125)
    assert verdict("probe.per_channel.imbalance.max < 20%", agg) == (FAIL, 3.0)
    assert verdict("probe.per_channel.imbalance.min <= 12.5%", agg) == (PASS, 0.125)


def test_levels_and_abort() -> None:
    agg = sampled("per_channel.imbalance", 30.0)
    levels = "probe.per_channel.imbalance: target<20% acceptable<40% critical<60%"
    assert verdict(levels, agg) == (WARN, 0.3)
    assert verdict("probe.per_channel.imbalance: target<10% critical<25%", agg) == (FAIL, 0.3)
    t = build_threshold("probe.per_channel.imbalance < 20% abort_on_fail=5s")
    assert t.abort_on_fail and t.abort_delay_s == 5.0


def test_no_sample_is_no_data_and_fails() -> None:
    assert verdict("probe.per_channel.imbalance < 20%", Aggregate()) == (FAIL, None)


def test_other_probe_fields_are_unchanged() -> None:
    agg = sampled("queue", 5.0, 50.0)
    assert verdict("probe.queue.max < 80", agg) == (PASS, 50.0)
    assert verdict("probe.queue.growth > 100%", agg) == (PASS, 9.0)

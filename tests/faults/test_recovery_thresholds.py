"""recovery.max / .avg / .min / .count thresholds over an aggregate's faults."""

from __future__ import annotations

from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.verdict import evaluate


def fault(name: str, recovery_s: float | None) -> dict[str, Any]:
    return {"name": name, "kind": "kill", "recovery_s": recovery_s, "recovered": recovery_s is not None}


def verdicts(faults: list[dict[str, Any]] | None, *exprs: str) -> list[tuple[str, float | None]]:
    agg = Aggregate()
    agg.faults = faults
    return [(r.verdict, r.actual) for r in evaluate(parse_thresholds(exprs), agg)]


def test_max_avg_min_count() -> None:
    faults = [fault("kill-worker", 4.0), fault("db-slow", 12.0), fault("kill-worker", 6.0)]
    exprs = ("recovery.max < 30s", "recovery.max < 10s", "recovery.avg < 8s", "recovery.min <= 4s")
    assert verdicts(faults, *exprs, "recovery.count == 3") == [
        ("PASS", 12000.0),
        ("FAIL", 12000.0),
        ("PASS", pytest.approx(22000 / 3)),
        ("PASS", 4000.0),
        ("PASS", 3.0),
    ]
    assert verdicts(faults, "recovery{fault=kill-worker}.max < 10s", "recovery{fault=nope}.max < 10s") == [
        ("PASS", 6000.0),
        ("FAIL", None),
    ]


def test_a_fault_that_never_recovered_fails_max_and_avg() -> None:
    faults = [fault("a", 1.0), fault("b", None)]
    assert verdicts(
        faults, "recovery.max < 3600s", "recovery.avg < 3600s", "recovery.min < 3600s", "recovery.count == 1"
    ) == [
        ("FAIL", None),
        ("FAIL", None),
        ("PASS", 1000.0),
        ("PASS", 1.0),
    ]
    assert verdicts(None, "recovery.max < 3600s") == [("FAIL", None)]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("recovery.p95 < 1s", "use recovery.max, .avg, .min or .count"),
        ("recovery{name=x}.max < 1s", "filter {name=...} is not available"),
        ("recovery.max < 5%", "does not fit a duration metric"),
    ],
)
def test_bad_recovery_thresholds(expr: str, message: str) -> None:
    with pytest.raises(BadInput, match="threshold") as info:
        parse_thresholds([expr])
    assert message in str(info.value)


def test_a_fault_not_measurable_is_neither_a_recovery_nor_a_failure() -> None:
    unmeasured = {"name": "late", "kind": "run", "recovery_s": 0.0, "recovered": None}
    assert verdicts([unmeasured], "recovery.max < 10s", "recovery.count == 0") == [
        ("FAIL", None),  # nothing measurable: no data
        ("FAIL", None),
    ]
    mixed = [fault("kill-worker", 2.0), unmeasured]
    assert verdicts(mixed, "recovery.max < 10s", "recovery.avg < 10s") == [("PASS", 2000.0), ("PASS", 2000.0)]


def test_a_recovery_in_seconds_is_shown_in_seconds() -> None:
    agg = Aggregate()
    agg.faults = [fault("kill-worker", 2.974)]
    texts = [
        r.actual_text
        for r in evaluate(parse_thresholds(["recovery.max < 10s", "recovery.max < 9000ms"]), agg)
    ]
    assert texts == ["3.0 s", "2,974.0 ms"]


def test_a_fault_that_never_recovered_reads_never_not_no_data() -> None:
    agg = Aggregate()
    agg.faults = [fault("a", 1.0), fault("b", None), fault("b", None)]
    exprs = ["recovery.max < 10s", "recovery{fault=b}.min < 10s", "recovery{fault=a}.max < 10s",
             "recovery{fault=nope}.max < 10s"]  # fmt: skip
    got = [r.to_dict() for r in evaluate(parse_thresholds(exprs), agg)]
    assert [(t["verdict"], t["actual_text"]) for t in got] == [
        ("FAIL", "never (2 faults never recovered)"),
        ("FAIL", "never (2 faults never recovered)"),
        ("PASS", "1.0 s"),
        ("FAIL", "no data"),  # no such fault fired: no data, as before
    ]
    agg.faults = [fault("b", None)]
    (one,) = evaluate(parse_thresholds(["recovery.max < 10s"]), agg)
    assert one.actual_text == "never (1 fault never recovered)"

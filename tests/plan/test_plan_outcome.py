"""How a plan's runs combine: the worst exit code and verdict; skipped runs count for neither."""

from __future__ import annotations

import pytest

from loadpulse.results.plan_outcome import ERROR, SKIPPED, PlanOutcome, RunRecord


def plan(*runs: tuple[str, int | None], interrupted: bool = False) -> PlanOutcome:
    records = [
        RunRecord(i, f"r{i}", "url", "http://127.0.0.1/", status=s, exit_code=c)
        for i, (s, c) in enumerate(runs)
    ]
    return PlanOutcome("p", "p.yaml", records, interrupted=interrupted)


@pytest.mark.parametrize(
    ("runs", "interrupted", "code", "verdict"),
    [
        ([("PASS", 0), ("WARN", 0)], False, 0, "WARN"),
        ([("PASS", 0), ("FAIL", 1), (SKIPPED, None)], False, 1, "FAIL"),
        ([("FAIL", 1), ("ABORTED", 3)], False, 3, "ABORTED"),
        ([("ABORTED", 3), (ERROR, 2)], False, 2, ERROR),
        ([("FAIL", 1), ("INTERRUPTED", 130), (SKIPPED, None)], True, 130, "INTERRUPTED"),
        ([("PASS", 0), (SKIPPED, None)], True, 130, "INTERRUPTED"),
        ([("NONE", 0), ("NONE", 0)], False, 0, "NONE"),
        ([("NONE", 0), ("PASS", 0)], False, 0, "PASS"),
    ],
)
def test_the_plan_takes_its_worst_run(
    runs: list[tuple[str, int | None]], interrupted: bool, code: int, verdict: str
) -> None:
    outcome = plan(*runs, interrupted=interrupted)
    assert (outcome.exit_code, outcome.verdict) == (code, verdict)


def test_an_output_not_written_is_exit_2_over_a_fail() -> None:
    outcome = plan(("FAIL", 1))
    outcome.output_problems.append("could not write --html 'x': disk full")
    assert outcome.exit_code == 2


def test_ended_by() -> None:
    assert plan(("PASS", 0)).ended_by == "completed"
    stopped = plan(("FAIL", 1), (SKIPPED, None))
    stopped.stopped_by = "r0"
    assert stopped.ended_by == "stopped"
    assert plan(("PASS", 0), interrupted=True).ended_by == "interrupted"

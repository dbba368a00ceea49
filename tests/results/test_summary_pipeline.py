"""The Summary JSON ``pipeline`` object: the run's pipeline check as the engine left it on the aggregate,
absent without sinks; results files carrying it are validated, and files without it still load."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.outputs.files import write_results
from loadpulse.results.document import Results
from loadpulse.results.file import read_results
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.schema import schema_problem
from loadpulse.results.summary import build_summary
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec
from tests.conftest import CliResult
from tests.results.pipeline_factory import pipeline_dict
from tests.results.results_factory import synthetic_results

DOCUMENTED = [
    "sent",
    "delivered",
    "lost",
    "duplicates",
    "unexpected",
    "rejected",
    "failed",
    "e2e_ms",
    "drain_s",
    "by_worker",
    "fairness_pct",
    "stuck",
    "lost_ids",
    "in_progress",
    "unverified",
    "out_of_order",
    "drained",
    "e2e_basis",
    "e2e_resolution_s",
    "e2e_distribution",
    "workers_expected",
    "load_end_s",
    "timeline",
]


def outcome_with(pipeline: dict[str, Any] | None) -> RunOutcome:
    agg = Aggregate()
    agg.pipeline = pipeline
    spec = RunSpec(requests=(RequestSpec(url="http://127.0.0.1:8000/"),), load=LoadSpec(duration_s=1))
    return RunOutcome(
        spec=spec, aggregate=agg, started_at=datetime(2026, 11, 23, tzinfo=UTC), ended_by="duration"
    )


def with_pipeline(pipeline: dict[str, Any]) -> dict[str, Any]:
    doc = synthetic_results(seconds=2).to_dict()
    doc["summary"]["pipeline"] = pipeline
    return doc


def test_the_summary_carries_the_pipeline_object_as_a_copy() -> None:
    pipeline = pipeline_dict(lost=3, duplicates=1, stuck=1)
    outcome = outcome_with(pipeline)
    summary = build_summary(outcome)
    assert summary["pipeline"] == pipeline
    assert json.loads(json.dumps(summary["pipeline"])) == pipeline  # plain JSON, no NaN, no objects
    summary["pipeline"]["lost"]["count"] = 0
    assert outcome.aggregate.pipeline is not None and outcome.aggregate.pipeline["lost"]["count"] == 3


def test_a_run_without_sinks_has_no_pipeline_key() -> None:
    assert "pipeline" not in build_summary(outcome_with(None))


def test_every_key_is_documented() -> None:
    assert sorted(pipeline_dict()) == sorted(DOCUMENTED)
    doc = (Path(__file__).parents[2] / "docs" / "summary-json.md").read_text()
    for key in DOCUMENTED:
        assert f"`{key}`" in doc or f"`pipeline.{key}`" in doc, key


@pytest.mark.parametrize(
    "pipeline",
    [
        pipeline_dict(),
        pipeline_dict(lost=3, duplicates=2, unexpected=1, stuck=2, rejected=1),
        pipeline_dict(sent=5, lost=5, workers=(), load_ended=False),  # every figure null that can be
        pipeline_dict(lost=2, sink_failed=True),
    ],
)
def test_results_with_a_pipeline_round_trip(tmp_path: Path, pipeline: dict[str, Any]) -> None:
    doc = with_pipeline(pipeline)
    assert schema_problem(doc) is None
    write_results(Results.from_dict(doc), tmp_path / "r.json")
    assert read_results(tmp_path / "r.json").summary["pipeline"] == pipeline


def test_older_results_without_a_pipeline_still_load(tmp_path: Path) -> None:
    doc = synthetic_results(seconds=2).to_dict()
    assert "pipeline" not in doc["summary"] and schema_problem(doc) is None


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    pipeline = copy.deepcopy(pipeline_dict(lost=1))
    change(pipeline)
    return with_pipeline(pipeline)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda p: p["lost"].update(count=-1), "summary.pipeline.lost.count"),
        (lambda p: p["lost"].update(rate=float("nan")), "summary.pipeline.lost.rate"),
        (lambda p: p.update(sent="100"), "summary.pipeline.sent"),
        (lambda p: p["e2e_ms"].pop("p95"), "summary.pipeline.e2e_ms.p95"),
        (lambda p: p["by_worker"].update(w1=1.5), "summary.pipeline.by_worker.w1"),
        (lambda p: p["stuck"].update(ids=[1]), "summary.pipeline.stuck.ids.0"),
        (lambda p: p.update(fairness_pct=float("inf")), "summary.pipeline.fairness_pct"),
    ],
)
def test_a_broken_pipeline_block_is_named(
    change: Callable[[dict[str, Any]], None], fragment: str, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    doc = _broken(change)
    problem = schema_problem(doc)
    assert problem is not None and problem.startswith(fragment), problem
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput, match="pipeline"):
        read_results(path)
    r = cli("show", str(path))
    assert r.code == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1

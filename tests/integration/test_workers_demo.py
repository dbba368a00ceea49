"""`loadpulse demo --workers 2`: the pipeline check over worker processes, judged once for the whole run."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CliResult


def test_the_demo_over_two_workers_verifies_its_pipeline_once_for_the_whole_run(
    cli: Callable[..., CliResult],
) -> None:
    res = cli("demo", "--workers", "2", "-d", "3s", "--vus", "4", "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    summary = res.summary()
    pipeline, workers = summary["pipeline"], summary["workers"]
    assert workers["count"] == 2 and workers["lost"] == []
    assert all(w["requests"] > 0 for w in workers["per_worker"])  # both workers tracked items
    assert pipeline["sent"] > 0 and pipeline["delivered"] == pipeline["sent"]
    assert pipeline["lost"]["count"] == 0 and pipeline["duplicates"]["count"] == 0
    assert pipeline["e2e_ms"]["p50"] > 0  # each item's send time came with it from its worker
    assert sum(pipeline["by_worker"].values()) == pipeline["delivered"]  # the target's workers' counts
    # loadpulse's workers: what each tracked (every item sent was shipped by one of them)
    assert all(w["tracked"] > 0 for w in workers["per_worker"])
    assert sum(w["tracked"] for w in workers["per_worker"]) >= pipeline["sent"]
    assert summary["verdict"] == "PASS"


def test_a_loss_in_the_pipeline_is_reported_over_two_workers(cli: Callable[..., CliResult]) -> None:
    res = cli(
        "demo", "--workers", "2", "-d", "3s", "--vus", "4", "--loss-rate", "0.1",
        # The lost items never come: the drain waits its whole timeout (5 s by default) for them.
        "--drain-timeout", "2s", "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 1, res.err
    pipeline = res.summary()["pipeline"]
    lost = pipeline["lost"]["count"]
    assert lost > 0 and pipeline["delivered"] + lost == pipeline["sent"]
    assert 0.03 < pipeline["lost"]["rate"] < 0.2  # about the 10 % the target drops
    assert res.summary()["verdict"] == "FAIL"


def test_the_demo_refuses_more_workers_than_vus_before_its_target_starts(
    cli: Callable[..., CliResult],
) -> None:
    res = cli("demo", "--workers", "3", "--vus", "2", "-d", "1s", "--no-history")
    assert res.code == 2 and "Traceback" not in res.err
    assert "--workers 3: worker 3 would get no load (the plan runs 2 VUs at its peak)" in res.err
    assert "demo target up" not in res.err

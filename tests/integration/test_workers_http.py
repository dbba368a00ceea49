"""`loadpulse http --workers 2`: the one-liner split over worker processes, on the fast path."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult


def test_the_one_liner_splits_its_load_exactly_over_workers(
    demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("http", f"{demo_url}/health", "-n", "1001", "-c", "3", "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 1001 and summary["requests"]["ok"] == 1001
    rows = summary["workers"]["per_worker"]
    # 3 connections on 2 workers: 2 and 1, each connection sending a third of the budget (334/334/333)
    assert [w["requests"] for w in rows] == [667, 334]
    assert [w["share"] for w in rows] == [
        pytest.approx(667 / 1001, abs=1e-6),
        pytest.approx(334 / 1001, abs=1e-6),
    ]


def test_the_one_liner_open_model_over_workers_holds_its_rate(
    demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("http", f"{demo_url}/health", "--rate", "300", "-d", "2s", "--workers", "2", "--json", "-",
              "-q", "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    # Exactly the single schedule's ceil(300 x 2) arrivals: each worker's stripe ends with the schedule,
    # not when its clock's stop reaches it (which added a few, or lost a late loop's last ones).
    requests, dropped = summary["requests"]["total"], summary["workers"]["per_worker"]
    assert requests + sum(w["dropped"] for w in dropped) == 600 and summary["requests"]["failed"] == 0
    first, second = (w["requests"] for w in summary["workers"]["per_worker"])
    assert first - second in (0, 1)  # the single schedule dealt out in turn


def test_a_tiny_one_liner_run_never_reads_as_more_than_a_core(
    demo_url: str, cli: Callable[..., CliResult]
) -> None:
    """CPU over the worker's life from the go, not over a few ms of load (105 % and 237 % were shown)."""
    res = cli("http", f"{demo_url}/health", "-n", "2", "-c", "2", "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    rows = res.summary()["workers"]["per_worker"]
    assert all(w["cpu_pct"] is not None and 0 <= w["cpu_pct"] <= 100 for w in rows), rows


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["-c", "2", "--workers", "3"],
            "--workers 3: worker 3 would get no load (the run has 2 connections); use fewer",
        ),
        (
            ["-c", "2", "-n", "1", "--workers", "2"],
            "--workers 2: worker 2 would get no load (the run has 1 connection: -n 1 is below -c)",
        ),
        (["--workers", "nope"], "--workers 'nope' is not a number or 'auto'"),
        (["--abort-on-worker-loss"], "--abort-on-worker-loss applies to --workers (or --cluster) only"),
        (
            ["-c", "250000", "--workers", "2"],
            "-c/--connections 250,000 is more than 2 loadpulse processes can hold (at most 200,000)",
        ),
        (
            ["--sink", "sql:sqlite:///x.db#SELECT id FROM t", "--track-from", "$.id", "--workers", "2"],
            "--workers with --sink on the one-liner is not supported yet",
        ),
        (
            [
                "--sink",
                "sql:sqlite:///x.db#SELECT id FROM t",
                "--track-from",
                "$.id",
                "--abort-on-worker-loss",
            ],
            "--abort-on-worker-loss applies to --workers (or --cluster) only",
        ),
    ],
)
def test_bad_one_liner_worker_input_is_one_line_exit_2(
    cli: Callable[..., CliResult], args: list[str], says: str
) -> None:
    res = cli("http", "http://127.0.0.1:1/", *args, "--no-history")
    assert res.code == 2 and says in res.err and "Traceback" not in res.err, res.err
    assert len(res.err.strip().splitlines()) == 1

"""Seed 000's job-queue tests (examples/000_job_queue) at smoke scale against a demo pipeline of their own:
1 worker for the throughput test, 5 for the multi-worker one, each writing to a fresh jobs.db."""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loadpulse.demo.server import demo_target
from tests.conftest import CliResult

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "000_job_queue"


@pytest.fixture
def job_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], str]]:
    """Start a demo target with N workers storing into ./jobs.db, the file the example's sink reads."""
    monkeypatch.chdir(tmp_path)
    with contextlib.ExitStack() as stack:

        def start(workers: int) -> str:
            args = ("--workers", str(workers), "--batch-size", "1", "--db", str(tmp_path / "jobs.db"))
            return stack.enter_context(demo_target(*args))

        yield start


def test_seed_000_test_1_throughput(cli: Callable[..., CliResult], job_queue: Callable[[int], str]) -> None:
    url = job_queue(1)
    r = cli("run", str(EXAMPLE / "throughput.py"), "-u", url, "-i", "200", "--json", "-", "--quiet")
    s = r.summary()
    assert r.code == 0 and s["verdict"] == "PASS", s["thresholds"]
    p = s["pipeline"]
    assert p["sent"] == p["delivered"] == 200 and p["by_worker"] == {"worker-1": 200}
    assert {t["metric"] for t in s["thresholds"]} == {
        "requests{name=enqueue}.rate",
        "pipeline.e2e.p99",
        "pipeline.drain",
        "pipeline.lost.count",
        "pipeline.stuck.count",
        "checks{name=enqueued}.rate",
    }


def test_seed_000_test_2_multi_worker(cli: Callable[..., CliResult], job_queue: Callable[[int], str]) -> None:
    url = job_queue(5)
    r = cli("run", str(EXAMPLE / "multi_worker.py"), "-u", url, "-i", "300", "--json", "-", "--quiet")
    s = r.summary()
    assert r.code == 0 and s["verdict"] == "PASS", s["thresholds"]
    p = s["pipeline"]
    assert p["sent"] == p["delivered"] == 300 and p["duplicates"]["count"] == 0
    assert sorted(p["by_worker"]) == [f"worker-{i}" for i in range(1, 6)] and p["fairness_pct"] < 20


def test_seed_000_test_2_fails_when_a_worker_stops(
    cli: Callable[..., CliResult], job_queue: Callable[[int], str]
) -> None:
    url = job_queue(5)
    urllib.request.urlopen(
        urllib.request.Request(
            f"{url}/_knobs",
            data=b'{"stop_worker_s": 3}',
            method="PUT",
            headers={"Content-Type": "application/json"},
        ),
        timeout=5,
    ).close()
    r = cli("run", str(EXAMPLE / "multi_worker.py"), "-u", url, "-i", "300", "--json", "-", "--quiet")
    s = r.summary()
    assert r.code == 1 and s["verdict"] == "FAIL"
    by = {t["metric"]: t["verdict"] for t in s["thresholds"]}
    assert by["pipeline.fairness"] == "FAIL" and by["pipeline.duplicates.count"] == "PASS"
    assert s["pipeline"]["by_worker"]["worker-5"] == 1  # the one job it held through its stop

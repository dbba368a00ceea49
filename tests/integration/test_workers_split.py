"""`loadpulse run --workers 2`: what is said about the split when scenarios mix units, and when test data
runs out in every worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

MIXED = """
from loadpulse import task

scenarios = {
    "vus": {"profile": "per-vu-iterations", "vus": 1, "iterations": 200},
    "rate": {"profile": "constant-rate", "rate": 20, "duration": "1s"},
}

@task(scenario="vus")
async def one(ctx):
    await ctx.http.get("/health", name="vus")

@task(scenario="rate")
async def other(ctx):
    await ctx.http.get("/health", name="rate")
"""

RUNS_OUT = """
from loadpulse import feed, task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 10}
rows = feed("rows.csv")

@task
async def hit(ctx):
    rows.next(ctx)
    await ctx.http.get("/health")
"""


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(text)
    return str(path)


def test_a_vu_scenario_beside_a_rate_one_is_no_imbalance(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    """1 VU (on worker 1 only) beside 20 arrivals/s dealt to both: the requests are 220 to 10, which
    against the summed shares read as a 90 % imbalance; judged scenario by scenario there is none."""
    res = cli("run", _file(tmp_path, MIXED), "-u", demo_url, "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    workers = res.summary()["workers"]
    assert [w["iterations"] for w in workers["per_worker"]] == [210, 10]
    assert workers["imbalance_pct"] == 0.0


def test_rows_that_run_out_in_every_worker_are_one_warning_for_the_whole_file(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    (tmp_path / "rows.csv").write_text("id\n" + "".join(f"r{i}\n" for i in range(12)))
    res = cli("run", _file(tmp_path, RUNS_OUT), "-u", demo_url, "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    ran_out = [w for w in summary["warnings"] if "ran out" in w]
    assert len(ran_out) == 1, summary["warnings"]
    assert "all 12 row(s) used once each" in ran_out[0] and "this worker" not in ran_out[0]
    assert summary["requests"]["total"] == 12

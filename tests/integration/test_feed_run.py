"""Real runs against the demo target with a test-data feed: every row used by exactly one iteration."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadpulse.engine.execute import execute_plan
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.summary import build_summary
from loadpulse.scenario.feed import worker_share
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.model import Plan
from loadpulse.scenario.source import RunOptions, build_plan
from tests.conftest import CliResult

SCENARIO = """
import loadpulse

base_url = {url!r}
profile = {profile!r}
users = loadpulse.feed("users.csv", mode={mode!r})
seen = []

@loadpulse.task
async def visit(ctx):
    row = users.next(ctx)
    seen.append((ctx.vu.id, row["id"]))
    r = await ctx.http.get("/health?user=" + row["id"])
    ctx.check(r.status == 200, "ok")
"""

ROWS = 150
LONG = {"profile": "constant-vus", "vus": 4, "duration": "60s"}


def _scenario(
    tmp_path: Path, url: str, profile: dict[str, Any], mode: str = "once", rows: int = ROWS
) -> Path:
    (tmp_path / "users.csv").write_text("id,name\n" + "".join(f"u{i},name {i}\n" for i in range(rows)))
    path = tmp_path / "scenario.py"
    path.write_text(textwrap.dedent(SCENARIO.format(url=url, profile=profile, mode=mode)))
    return path


def _run(plan: Plan) -> tuple[RunOutcome, list[tuple[int, str]]]:
    outcome = execute_plan(plan, handle_signals=False)
    seen: list[tuple[int, str]] = plan.scenarios[0].tasks[0].fn.__globals__["seen"]
    return outcome, seen


def test_each_row_is_used_by_exactly_one_iteration_and_the_scenario_stops_when_they_run_out(
    tmp_path: Path, demo_url: str
) -> None:
    plan = build_plan(load_scenario(str(_scenario(tmp_path, demo_url, LONG))), RunOptions())
    outcome, seen = _run(plan)
    assert sorted(row for _, row in seen) == sorted(f"u{i}" for i in range(ROWS))
    assert len({vu for vu, _ in seen}) > 1  # shared by the VUs, not walked by one
    summary = build_summary(outcome)
    assert summary["requests"]["total"] == ROWS and summary["requests"]["failed"] == 0
    assert summary["scenarios"]["default"]["iterations"] == ROWS  # the one that found no row is not one
    assert outcome.ended_by == "completed"  # the scenario stopped: not by the profile's minute
    assert any("data users.csv ran out: all 150 row(s) used once each" in w for w in outcome.warnings)


def test_an_open_model_run_stops_the_same_way(tmp_path: Path, demo_url: str) -> None:
    profile = {"profile": "constant-rate", "rate": 200, "duration": "60s", "max_vus": 20}
    plan = build_plan(load_scenario(str(_scenario(tmp_path, demo_url, profile))), RunOptions())
    outcome, seen = _run(plan)
    assert sorted(row for _, row in seen) == sorted(f"u{i}" for i in range(ROWS))
    assert outcome.ended_by == "completed"
    assert build_summary(outcome)["scenarios"]["default"]["script_errors"] == {}


def test_two_workers_running_their_shares_never_use_a_row_twice(tmp_path: Path, demo_url: str) -> None:
    path = str(_scenario(tmp_path, demo_url, LONG, rows=101))
    used: list[str] = []
    for index in range(2):
        with worker_share((index, 2)):  # what each worker process does around loading the file
            source = load_scenario(path)
        _, seen = _run(build_plan(source, RunOptions()))
        used += [row for _, row in seen]
    assert sorted(used) == sorted(f"u{i}" for i in range(101))


def test_per_vu_rows_stay_with_their_vu(tmp_path: Path, demo_url: str) -> None:
    profile = {"profile": "per-vu-iterations", "vus": 3, "iterations": 4}
    plan = build_plan(load_scenario(str(_scenario(tmp_path, demo_url, profile, mode="per-vu"))), RunOptions())
    _, seen = _run(plan)
    by_vu: dict[int, set[str]] = {}
    for vu, row in seen:
        by_vu.setdefault(vu, set()).add(row)
    assert len(seen) == 12 and len(by_vu) == 3
    assert all(len(rows) == 1 for rows in by_vu.values())
    assert len(set.union(*by_vu.values())) == 3


def test_a_bad_data_file_is_one_line_naming_the_scenario_line_and_the_data_line(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _scenario(tmp_path, demo_url, LONG)
    with (tmp_path / "users.csv").open("a") as f:
        f.write("u999\n")
    r = cli("run", str(path), "--no-history", "--quiet")
    assert r.code == 2 and "Traceback" not in r.err, r.err
    assert (
        r.err.strip()
        == f"loadpulse: error: {path}:6: users.csv line {ROWS + 2}: 1 field(s) where the header has 2"
    )


def test_an_unknown_mode_from_a_scenario_file_is_bad_input(
    cli: Callable[..., CliResult], tmp_path: Path, demo_url: str
) -> None:
    path = _scenario(tmp_path, demo_url, LONG, mode="shuffle")
    r = cli("run", str(path), "--no-history", "--quiet")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert f"{path}:6: feed mode 'shuffle' is not one of" in r.err


def test_a_yaml_flow_uses_each_row_once_and_stops_when_they_run_out(tmp_path: Path, demo_url: str) -> None:
    (tmp_path / "users.csv").write_text("id\n" + "".join(f"u{i}\n" for i in range(40)))
    path = tmp_path / "flow.yaml"
    path.write_text(
        f"base_url: {demo_url}\n"
        "profile: {profile: constant-vus, vus: 3, duration: 60s}\n"
        "data: {users: users.csv}\n"
        "scenarios:\n"
        "  - requests: [{url: '/health?user={{ data.users.id }}', check: {status: 200}}]\n"
    )
    outcome = execute_plan(build_plan(load_scenario(str(path)), RunOptions()), handle_signals=False)
    summary = build_summary(outcome)
    assert summary["requests"]["total"] == 40 and summary["requests"]["failed"] == 0
    assert outcome.ended_by == "completed"
    assert any("data users.csv ran out: all 40 row(s)" in w for w in outcome.warnings)

"""`loadpulse run --workers 2`: real worker processes against the demo target, merged into one run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.conftest import CliResult

SCENARIO = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 25}

@task
async def hit(ctx):
    await ctx.http.get("/health", name="health")
"""

FAILING = """
from loadpulse import task

@task
async def hit(ctx):
    await ctx.http.get("/no-such-page", name="missing")
"""


def _file(tmp_path: Path, text: str = SCENARIO) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(text)
    return str(path)


def test_merged_counts_are_the_sum_of_the_workers(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path), "-u", demo_url, "--workers", "2", "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 100 and summary["requests"]["ok"] == 100
    workers = summary["workers"]
    assert (workers["count"], workers["backend"], workers["lost"]) == (2, "local", [])
    assert [w["requests"] for w in workers["per_worker"]] == [50, 50]
    assert all(w["state"] == "done" and w["cpu_pct"] is not None for w in workers["per_worker"])


def test_one_worker_is_the_single_process_run(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path), "-u", demo_url, "--workers", "1", "--json", "-", "-q", "--no-history")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["total"] == 100 and "workers" not in res.summary()


def test_open_model_over_two_workers_holds_its_rate(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run", _file(tmp_path), "-u", demo_url, "--workers", "2", "--profile", "constant-rate",
        "--rate", "200", "-d", "3s", "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    total = summary["requests"]["total"]
    assert abs(total - 600) <= 6, total
    assert summary["scenarios"]["default"]["dropped"] == 0
    per_worker = summary["workers"]["per_worker"]
    assert sum(w["requests"] for w in per_worker) == total
    assert all(w["dropped"] == 0 for w in per_worker)


def test_abort_on_fail_stops_every_worker(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli(
        "run", _file(tmp_path, FAILING), "-u", demo_url, "--workers", "2", "--profile", "constant-vus",
        "--vus", "2", "-d", "20s", "-t", "errors.rate < 1%", "--abort-on-fail",
        "--json", "-", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 3, res.err
    summary = res.summary()
    assert summary["duration_s"] < 10
    assert all(w["state"] == "done" for w in summary["workers"]["per_worker"])
    assert summary["requests"]["failed"] == summary["requests"]["total"] > 0


def _run_and_hurt(
    tmp_path: Path, url: str, how: signal.Signals, *extra: str, coordinator_too: bool = False
) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    out = tmp_path / "summary.json"
    args = [
        sys.executable, "-m", "loadpulse", "run", _file(tmp_path), "-u", url, "--workers", "2",
        "--profile", "constant-vus", "--vus", "2", "-d", "8s", "--json", str(out), "-q", "--no-history",
        *extra,
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        coordinator = psutil.Process(proc.pid)
        workers: list[psutil.Process] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [
                c
                for c in coordinator.children()
                if "loadpulse.engine.worker_process" in " ".join(c.cmdline())
            ]
        assert len(workers) == 2, "the workers did not start"
        time.sleep(3.0)  # started, set up, a couple of intervals measured
        os.kill(proc.pid if coordinator_too else workers[1].pid, how)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, json.loads(out.read_text()), err


def test_a_killed_worker_is_reported_and_the_run_goes_on(tmp_path: Path, demo_url: str) -> None:
    code, summary, err = _run_and_hurt(tmp_path, demo_url, signal.SIGKILL)
    assert code == 0, err
    assert len(summary["workers"]["lost"]) == 1
    lost = [w for w in summary["workers"]["per_worker"] if w["state"] == "lost"]
    assert len(lost) == 1 and "killed by SIGKILL" in lost[0]["lost_why"]
    line = next(w for w in summary["warnings"] if "lost at" in w)
    assert f"worker {lost[0]['index']} of 2 lost at" in line and "50% of the load" in line
    assert "are not counted (they cannot be recovered)" in line  # its last partial interval, said
    assert "lost at" in err  # said live
    assert err.count(line.split(":")[0]) == 1  # once: not again in the warnings before the summary
    assert lost[0]["lost_at_s"] <= lost[0]["detected_at_s"]
    assert summary["requests"]["total"] > 0 and summary["duration_s"] > 7


def test_a_silent_worker_is_lost_and_abort_on_worker_loss_exits_3(tmp_path: Path, demo_url: str) -> None:
    code, summary, err = _run_and_hurt(tmp_path, demo_url, signal.SIGSTOP, "--abort-on-worker-loss")
    assert code == 3, err
    lost = [w for w in summary["workers"]["per_worker"] if w["state"] == "lost"]
    assert len(lost) == 1 and "sent nothing for 2 intervals" in lost[0]["lost_why"]
    # lost when last heard; found 2 silent intervals (1 s each) later
    assert lost[0]["detected_at_s"] - lost[0]["lost_at_s"] >= 2.0
    assert summary["duration_s"] < 7
    assert "aborted:" in err and "--abort-on-worker-loss" in err
    assert err.count("sent nothing for 2 intervals") == 1, err  # the warning, not again as the reason


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--workers", "0"], "--workers must be 1 or more (got 0)"),
        (["--workers", "-3"], "--workers must be 1 or more (got -3)"),
        (["--workers", "many"], "--workers 'many' is not a number or 'auto'"),
        (["--workers", "2", "--reserve-cores", "1"], "--reserve-cores applies to --workers auto only"),
        (["--workers", "auto", "--reserve-cores", "999"], "leaves none of the"),
        (["--workers", "8"], "--workers 8: worker 5 would get no load (the plan runs 4 VUs at its peak)"),
        (["--workers", "99999999999"], "is more than one machine runs (at most 1,024 processes)"),
        (
            ["--workers", "2", "--profile", "constant-vus", "--vus", "250000", "-d", "1s"],
            "VUs 250,000 is more than 2 loadpulse processes can hold (at most 200,000)",
        ),
    ],
)
def test_bad_worker_counts_are_one_line_exit_2(
    tmp_path: Path, cli: Callable[..., CliResult], args: list[str], says: str
) -> None:
    res = cli("run", _file(tmp_path), "-u", "http://127.0.0.1:1", *args, "--no-history")
    assert res.code == 2
    assert says in res.err and "Traceback" not in res.err


def test_ctrl_c_stops_every_worker(tmp_path: Path, demo_url: str) -> None:
    code, summary, err = _run_and_hurt(tmp_path, demo_url, signal.SIGINT, coordinator_too=True)
    assert code == 130, err
    assert summary["duration_s"] < 7 and summary["workers"]["lost"] == []
    assert all(w["state"] == "done" and w["requests"] > 0 for w in summary["workers"]["per_worker"])


def test_auto_never_starts_more_workers_than_the_plan_can_use(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    one_vu = SCENARIO.replace('"vus": 4, "iterations": 25', '"vus": 1, "iterations": 30')
    res = cli("run", _file(tmp_path, one_vu), "-u", demo_url, "--workers", "auto", "-q", "--json", "-")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["total"] == 30 and "workers" not in res.summary()  # one VU: one process


def test_a_worker_that_cannot_set_up_is_bad_input(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    failing_setup = SCENARIO + "\ndef setup(ctx):\n    raise RuntimeError('no token')\n"
    res = cli(
        "run", _file(tmp_path, failing_setup), "-u", "http://127.0.0.1:1", "--workers", "2", "--no-history"
    )
    assert res.code == 2
    assert "could not start: setup() failed: RuntimeError" in res.err and "no token" in res.err
    assert "Traceback" not in res.err


FED = """
import os
from loadpulse import feed, task

profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 3}
rows = feed("rows.csv")
OUT = os.path.join(os.path.dirname(__file__), f"used-{os.getpid()}.txt")


@task
async def use(ctx):
    row = rows.next(ctx)
    with open(OUT, "a") as f:
        f.write(row["id"] + "\\n")
    await ctx.http.get("/health", name="health")
"""


def test_feed_rows_are_used_once_across_workers(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    (tmp_path / "rows.csv").write_text("id\n" + "".join(f"r{i}\n" for i in range(12)))
    res = cli("run", _file(tmp_path, FED), "-u", demo_url, "--workers", "2", "-q", "--no-history")
    assert res.code == 0, res.err
    used = [line for f in tmp_path.glob("used-*.txt") for line in f.read_text().split()]
    assert len(list(tmp_path.glob("used-*.txt"))) == 2
    assert sorted(used) == sorted(f"r{i}" for i in range(12))  # each row once, none twice


BLOCKING = """
import time
from loadpulse import task

profile = {"profile": "constant-vus", "vus": 2, "duration": "4s"}


@task
async def slow(ctx):
    await ctx.http.get("/health", name="health")
    time.sleep(2.5)  # a synchronous call the scenario makes: it holds the worker's event loop
"""


def test_a_task_that_blocks_the_loop_does_not_lose_its_worker(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path, BLOCKING), "-u", demo_url, "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["workers"]["lost"] == [] and summary["requests"]["total"] >= 2, summary["warnings"]


def test_sigterm_to_the_whole_group_is_an_interrupt_not_lost_workers(tmp_path: Path, demo_url: str) -> None:
    """A CI job cancelled sends SIGTERM to every process of the group: the workers leave it to the
    coordinator, which stops them (exit 130), none reported lost."""
    out = tmp_path / "summary.json"
    args = [
        sys.executable, "-m", "loadpulse", "run", _file(tmp_path), "-u", demo_url, "--workers", "2",
        "--profile", "constant-vus", "--vus", "2", "-d", "20s", "--json", str(out), "-q", "--no-history",
    ]  # fmt: skip
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        coordinator = psutil.Process(proc.pid)
        deadline = time.monotonic() + 30
        while len(coordinator.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3.0)
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    summary = json.loads(out.read_text())
    assert summary["workers"]["lost"] == [] and "lost at" not in err, summary["warnings"]


UNEVEN = FED.replace('"vus": 4, "iterations": 3', '"vus": 3, "iterations": 4')


def test_three_vus_on_two_workers_have_their_real_shares_and_rows(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    """Worker 1 runs VUs 1 and 3, worker 2 VU 2: their shares are 2/3 and 1/3 (not the segments' halves),
    and the rows follow the same split, so with mode=once every row is used exactly once."""
    (tmp_path / "rows.csv").write_text("id\n" + "".join(f"r{i}\n" for i in range(12)))
    res = cli("run", _file(tmp_path, UNEVEN), "-u", demo_url, "--workers", "2", "--json", "-", "-q",
              "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    rows = summary["workers"]["per_worker"]
    assert [w["share"] for w in rows] == [pytest.approx(2 / 3, abs=1e-6), pytest.approx(1 / 3, abs=1e-6)]
    assert [w["requests"] for w in rows] == [8, 4]
    used = [line for f in tmp_path.glob("used-*.txt") for line in f.read_text().split()]
    assert sorted(used) == sorted(f"r{i}" for i in range(12))  # none twice, none left over
    assert not any("ran out" in w for w in summary["warnings"]), summary["warnings"]


MANY_NAMES = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 30}

@task
async def hit(ctx):
    await ctx.http.get("/health", name=f"n{ctx.vu.iteration}")
"""


def test_the_name_cap_is_the_whole_runs_and_warned_once(
    tmp_path: Path, demo_url: str, cli: Callable[..., CliResult]
) -> None:
    res = cli("run", _file(tmp_path, MANY_NAMES), "-u", demo_url, "--workers", "2", "--max-names", "10",
              "--json", "-", "-q", "--no-history")  # fmt: skip
    assert res.code == 0, res.err
    summary = res.summary()
    kept = [n for n in summary["by_name"] if n != "(other)"]
    assert len(kept) <= 10  # 5 per worker, not 10 each
    assert summary["by_name"]["(other)"]["requests"]["total"] > 0
    warned = [w for w in summary["warnings"] if "distinct request names" in w]
    assert len(warned) == 1 and "past the first 10 " in warned[0], summary["warnings"]

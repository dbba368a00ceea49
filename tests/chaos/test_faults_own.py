"""Process-fault safety and lifetimes without a load: the run's own processes never match a kill target,
a paused process that died is a warning, a run: fault ends with its shell, kill targets are checked once
setup() is done (and not when an earlier fault may start them), recovery thresholds name real faults."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from loadpulse.chaos.fault_runner import FaultRunner
from loadpulse.chaos.processes import ended, find, own_processes
from loadpulse.chaos.shell import run_command, stop_group
from loadpulse.cli.fault_options import check_fault_filters
from loadpulse.errors import BadInput
from loadpulse.faults.spec import FaultPlan, parse_fault, parse_kill_target
from loadpulse.thresholds.declared import parse_thresholds
from tests.conftest import CliResult
from tests.services import Nginx


def _nap() -> None:
    time.sleep(30)


def test_the_run_s_own_workers_and_helpers_never_match() -> None:
    """What --workers starts (spawned through multiprocessing) and its resource tracker are loadpulse's."""
    ctx = multiprocessing.get_context("spawn")
    worker = ctx.Process(target=_nap, daemon=True)
    worker.start()
    marker = f"lp_user_{uuid.uuid4().hex[:8]}"
    user = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(30)  # {marker}"])
    try:
        assert worker.pid is not None and worker.pid in own_processes()
        assert os.getpid() in own_processes() and user.pid not in own_processes()
        for text in ("cmd:multiprocessing", "cmd:spawn_main", f"pid:{worker.pid}", "process:python"):
            assert worker.pid not in [p.pid for p in find(parse_kill_target(text, "t"))], text
        # A process the user's own set-up or command started (here, a Popen) is fair game.
        assert [p.pid for p in find(parse_kill_target(f"cmd:{marker}", "t"))] == [user.pid]
    finally:
        worker.kill()
        worker.join(5)
        user.kill()
        user.wait(5)


def _runner(*entries: dict[str, object], planned_s: float = 20.0) -> FaultRunner:
    faults = tuple(parse_fault(e, f"--fault #{i + 1}", i) for i, e in enumerate(entries))
    return FaultRunner(FaultPlan(faults), planned_s)


class Hooks:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.ready_hooks: list[object] = []
        self.start_hooks: list[object] = []
        self.cut_hooks: list[object] = []


def test_a_paused_process_that_died_before_its_sigcont_is_a_warning() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        runner = _runner()
        rec = runner.timeline.begin("freeze", "pause", f"pid:{proc.pid}", "SIGSTOP")
        os.kill(proc.pid, signal.SIGSTOP)
        runner._paused[proc.pid] = rec
        os.kill(proc.pid, signal.SIGKILL)  # not reaped: a zombie until wait(), ended all the same
        for _ in range(100):
            if ended([proc.pid]):
                break
            time.sleep(0.05)
        runner._resume([proc.pid])
        assert rec.warnings == [f"pid {proc.pid} ended while paused, before its SIGCONT"]
        assert runner._paused == {}
    finally:
        proc.kill()
        proc.wait(5)


def test_a_run_fault_ends_when_its_shell_exits_and_leaves_its_children_to_the_run_s_end() -> None:
    marker = f"lp_bg_{uuid.uuid4().hex[:8]}"

    def background() -> list[int]:
        return [p.pid for p in psutil.process_iter(["cmdline"]) if (p.info["cmdline"] or [""])[0] == marker]

    async def main() -> None:
        # Bounded far below the child's 300 s: waiting for the pipe to close would time out here.
        got = await asyncio.wait_for(run_command(f'bash -c "exec -a {marker} sleep 300" & echo started'), 20)
        assert (got.returncode, got.last_line) == (0, "started")
        assert background(), "the background child is left running until the run's end"
        await stop_group(got.pid)
        if got.draining is not None:
            got.draining.cancel()
        for _ in range(100):
            if not background():
                break
            await asyncio.sleep(0.05)
        assert background() == []
        failed = await asyncio.wait_for(run_command("echo oops; exit 3"), 20)
        assert (failed.returncode, failed.last_line, failed.draining) == (3, "oops", None)

    asyncio.run(main())


def test_kill_targets_are_checked_after_setup_unless_an_earlier_fault_may_start_them(tmp_path: Path) -> None:
    nowhere = f"process:lp_nothing_{uuid.uuid4().hex[:8]}"
    started_first = _runner(
        {"at": "1s", "run": "python worker.py &"}, {"at": "2s", "kill": nowhere}, planned_s=20
    )
    hooks = Hooks()
    asyncio.run(started_first.start(hooks))
    assert started_first._check_targets in hooks.ready_hooks  # after setup(), not in start()
    asyncio.run(started_first._check_targets())  # no error: the run: at 1 s may start it
    for entries in (
        ({"at": "1s", "kill": nowhere},),
        ({"at": "1s", "kill": nowhere, "restart": "true"},),  # its own restart comes after it
        ({"at": "1s", "kill": nowhere}, {"at": "2s", "run": "true"}),  # the run: comes later
    ):
        with pytest.raises(BadInput, match=r"no process matches .* \(checked once setup\(\) was done\)"):
            asyncio.run(_runner(*entries)._check_targets())


def test_a_recovery_threshold_must_name_a_fault_of_the_run() -> None:
    thresholds = parse_thresholds(["recovery{fault=kill-wroker}.max < 10s", "recovery.max < 30s"])
    with pytest.raises(BadInput) as info:
        check_fault_filters(thresholds, ["kill-worker", "db-slow"])
    assert str(info.value) == (
        "threshold 'recovery{fault=kill-wroker}.max < 10s': no fault named 'kill-wroker' (did you mean "
        "'kill-worker'?); the run's faults: kill-worker, db-slow"
    )
    check_fault_filters(parse_thresholds(["recovery{fault=db-slow}.max < 10s"]), ["kill-worker", "db-slow"])


def test_a_kill_matching_many_processes_says_how_many() -> None:
    marker = f"lp_many_{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(30)  # {marker}"])
        for _ in range(11)
    ]
    try:
        runner = _runner({"at": "0s", "kill": f"cmd:{marker}", "signal": "TERM"})
        asyncio.run(runner._process_fault(runner.occurrences[0].fault))
        (rec,) = runner.timeline.records
        assert rec.warnings == [f"cmd:{marker} matched 11 processes: every one was signalled"]
        assert [p.wait(10) for p in procs] == [-signal.SIGTERM] * 11
    finally:
        for p in procs:
            p.kill()
            p.wait(5)


SETUP_SLEEPER = """
import subprocess
from loadpulse import Ctx, task

profile = {{"profile": "constant-vus", "vus": 2, "duration": "3s"}}
faults = [{{"at": "1s", "kill": "process:{name}", "name": "kill-setup", "settle": "1s"}}]
_procs = []


def setup(*args):
    _procs.append(subprocess.Popen(["bash", "-c", "exec -a {name} sleep 30"]))


def teardown(*args):
    for proc in _procs:
        proc.kill()
        proc.wait()


@task
async def hit(ctx: Ctx) -> None:
    await ctx.http.get("/")
"""


def _named(name: str) -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if (proc.info["cmdline"] or [""])[0] == name and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


def test_what_setup_starts_under_workers_can_be_killed(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    """setup() runs in each --workers process: what it starts is the user's, not loadpulse's."""
    name = f"sleeper-lpfix-{uuid.uuid4().hex[:8]}"
    assert _named(name) == []  # the pattern is ours alone
    path = tmp_path / "setup_kill.py"
    path.write_text(SETUP_SLEEPER.format(name=name))
    r = cli("run", str(path), "-u", nginx.url, "--workers", "2", "--quiet", "--no-history", "--json", "-")
    (fault,) = r.summary()["faults"]
    assert not [w for w in fault["warnings"] if "no process" in w], fault
    # one sleeper per worker's setup(), both killed
    assert len(fault["detail"].split(": pid ")[1].split(", ")) == 2, fault
    assert _named(name) == []


def test_a_pid_of_loadpulse_s_own_is_said_to_be_so(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    fault = f'{{"at": "1s", "kill": "pid:{os.getpid()}", "settle": "1s"}}'
    r = cli("http", nginx.url, "-d", "3s", "-c", "1", "--fault", fault, "--quiet", "--no-history")
    assert r.code == 2
    assert (
        f"pid:{os.getpid()} is loadpulse's own process (or one it runs under): never a kill target" in r.err
    )
    assert "no process matches" not in r.err

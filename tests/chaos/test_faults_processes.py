"""Process faults in a real run: a sleeper process killed by name mid-run and restarted, a pause, a name
that matches nothing (before the load: exit 2; mid-run: a warning on the timeline)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import CliResult
from tests.services import Nginx

QUIET = ("--quiet", "--no-history")


def results(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))  # type: ignore[no-any-return]


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """A worker-like script with a name no other process has, running until the test ends."""
    script = tmp_path / f"sleeper_{uuid.uuid4().hex[:8]}.py"
    script.write_text("import time\nwhile True:\n    time.sleep(0.2)\n")
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        yield script, proc
    finally:
        proc.kill()
        proc.wait(5)


def test_a_worker_killed_by_name_is_restarted_and_its_recovery_reported(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path, sleeper: tuple[Path, subprocess.Popen[bytes]]
) -> None:
    script, proc = sleeper
    out = tmp_path / "r.json.gz"
    restart = f"exec {sys.executable} {script}"
    fault = {"at": "1s", "kill": f"process:{script.name}", "restart": restart, "name": "kill-worker"}
    r = cli(
        "http", nginx.url + "/", "-c", "2", "-d", "8s", *QUIET, "--out", str(out),
        "--fault", json.dumps(fault), "-t", "recovery{fault=kill-worker}.max < 10s", "-t", "p95 < 1s",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert proc.wait(5) == -9  # SIGKILL
    (f,) = results(out)["summary"]["faults"]
    assert (f["kind"], f["start_s"]) == ("kill", f["end_s"])
    assert 0.8 <= f["start_s"] <= 1.6
    assert f"SIGKILL process:{script.name}: pid {proc.pid}" in f["detail"]
    restarted = int(f["detail"].rsplit("(pid ", 1)[1].rstrip(")"))
    assert f"restarted: {restart} (pid {restarted})" in f["detail"]
    assert f["recovered"] and f["recovery_s"] is not None and f["warnings"] == []
    # The restarted process belonged to the run: stopped with it.
    assert not psutil.pid_exists(restarted) or psutil.Process(restarted).status() == psutil.STATUS_ZOMBIE


def test_every_killed_process_is_restarted(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    script = tmp_path / f"pair_{uuid.uuid4().hex[:8]}.py"
    script.write_text("import time\nwhile True:\n    time.sleep(0.2)\n")
    procs = [subprocess.Popen([sys.executable, str(script)]) for _ in range(2)]
    out = tmp_path / "r.json.gz"
    try:
        fault = {
            "at": "500ms",
            "kill": f"process:{script.stem}",
            "restart": f"exec {sys.executable} {script}",
        }
        r = cli(
            "http",
            nginx.url + "/",
            "-c",
            "1",
            "-d",
            "2s",
            *QUIET,
            "--out",
            str(out),
            "--fault",
            json.dumps(fault),
        )
    finally:
        for p in procs:
            p.kill()
            p.wait(5)
    assert r.code == 0, r.err
    (f,) = results(out)["summary"]["faults"]
    assert f"pid {procs[0].pid}, {procs[1].pid}; restarted: " in f["detail"]
    assert len(f["detail"].rsplit("(pid ", 1)[1].split(", ")) == 2


def test_a_pause_stops_and_resumes_the_process(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path, sleeper: tuple[Path, subprocess.Popen[bytes]]
) -> None:
    _, proc = sleeper
    out = tmp_path / "r.json.gz"
    fault = {"at": "500ms", "for": "1s", "kill": f"pid:{proc.pid}", "signal": "STOP"}
    r = cli(
        "http",
        nginx.url + "/",
        "-c",
        "1",
        "-d",
        "3s",
        *QUIET,
        "--out",
        str(out),
        "--fault",
        json.dumps(fault),
    )
    assert r.code == 0, r.err
    (f,) = results(out)["summary"]["faults"]
    assert f["kind"] == "pause" and f["name"] == f"kill-{proc.pid}"
    assert 0.8 <= f["end_s"] - f["start_s"] <= 1.6
    assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED


def test_a_target_matching_nothing_before_the_load_is_bad_input(
    cli: Callable[..., CliResult], nginx: Nginx
) -> None:
    name = f"no_such_worker_{uuid.uuid4().hex[:8]}.py"
    r = cli(
        "http",
        nginx.url + "/",
        "-d",
        "2s",
        *QUIET,
        "--fault",
        json.dumps({"at": "1s", "kill": f"process:{name}"}),
    )
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        f"loadpulse: error: --fault #1.kill: no process matches process:{name} now (checked once setup() "
        "was done): start it first, or fix the target (process:NAME, pid:N, cmd:SUBSTRING)"
    ]


def test_a_target_gone_by_its_time_is_a_warning_on_the_timeline(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    marker = f"loadpulse-fault-test-{uuid.uuid4().hex[:8]}"
    # Alive when the run checks its targets, gone (by itself) before the fault fires.
    proc = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(1.0)  # {marker}"])
    out = tmp_path / "r.json.gz"
    try:
        fault = {"at": "2s", "kill": f"cmd:{marker}", "name": "gone"}
        r = cli(
            "http",
            nginx.url + "/",
            "-c",
            "1",
            "-d",
            "3s",
            *QUIET,
            "--out",
            str(out),
            "--fault",
            json.dumps(fault),
        )
    finally:
        proc.kill()
        proc.wait(5)
    assert r.code == 0, r.err
    summary = results(out)["summary"]
    (f,) = summary["faults"]
    assert f["start_s"] == f["end_s"] and f["detail"].endswith("no process matched")
    assert (
        f["warnings"][0] == f"no process matched cmd:{marker} at {f['start_s']:.1f} s: nothing was signalled"
    )
    # 1 s after it in a 3 s run: its 5 s settling window cannot fit, not measurable (not "never").
    assert f["recovered"] is None and "did not fit" in f["warnings"][1]
    assert any(w.startswith("fault 'gone': no process matched") for w in summary["warnings"])
    assert "no process matched" in r.err


def test_a_target_that_setup_starts_is_checked_after_setup(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    script = tmp_path / f"setup_worker_{uuid.uuid4().hex[:8]}.py"
    script.write_text("import time\ntime.sleep(30)\n")
    scenario = tmp_path / "chaos.py"
    scenario.write_text(
        "import subprocess, sys\n"
        "from loadpulse import Ctx, task\n"
        f"base_url = {nginx.url!r}\n"
        'profile = {"profile": "constant-vus", "vus": 1, "duration": "3s"}\n'
        f'faults = [{{"at": "1s", "kill": "process:{script.name}", "name": "kill-it"}}]\n'
        "started = []\n\n"
        "def setup(ctx):\n"
        f"    started.append(subprocess.Popen([sys.executable, {str(script)!r}]))\n\n"
        "def teardown(ctx, data):\n"
        "    for p in started:\n"
        "        p.kill()\n"
        "        p.wait()\n\n"
        "@task\n"
        "async def hit(ctx: Ctx) -> None:\n"
        '    await ctx.http.get("/")\n'
    )
    out = tmp_path / "r.json.gz"
    r = cli("run", str(scenario), *QUIET, "--out", str(out))
    assert r.code == 0, r.err
    (f,) = results(out)["summary"]["faults"]
    assert f["name"] == "kill-it" and "SIGKILL" in f["detail"] and "pid " in f["detail"]

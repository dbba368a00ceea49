"""The run ends on time with a summary, whatever the scenario or the target does; SIGINT always works.

Each case runs the real CLI in a subprocess (real signals, real fd limits) and must end within its
duration + grace + 5 s with a summary and the documented exit code, and within 5 s of a SIGINT sent once
the load is going.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine import fault_servers as fs

SLACK_S = 5.0
DURATION_S = 2.0
GRACE_S = 1.0


HOLD_S = 20.0
"""How long the misbehaving servers keep a connection at most (they end by themselves)."""
ACCEPTED: list[float] = []
"""When the misbehaving servers took each connection: a new one says a run's load is going."""
READY_WAIT_S = 30.0
"""The most a test waits for a run to show its load is going (or its setup began), on a loaded machine."""


def _blackhole(conn: socket.socket) -> None:
    """Accepts, reads, never answers; holds the connection until the client gives up (or HOLD_S)."""
    ACCEPTED.append(time.monotonic())
    deadline = time.monotonic() + HOLD_S
    while time.monotonic() < deadline:
        try:
            if not conn.recv(4096):
                return
        except TimeoutError:
            continue


def _endless_body(conn: socket.socket) -> None:
    """Answers with a chunked body that never ends (for HOLD_S)."""
    ACCEPTED.append(time.monotonic())
    fs.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
    deadline = time.monotonic() + HOLD_S
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            conn.sendall(chunk)


BLOCKING_DEFAULT_GRACEFUL_STOP = (
    "import time\nfrom loadpulse import task\n"
    f"profile = {{'profile': 'constant-vus', 'vus': 2, 'duration': '{DURATION_S}s'}}\n\n"
    "@task\nasync def t(ctx):\n    time.sleep(3600)\n"
)
"""A task that blocks for good, under k6's default 30 s graceful stop: a blocked loop cannot stop
gracefully, so the run still ends at duration + grace + a second."""

SCENARIOS = {
    "never_awaits": "async def t(ctx):\n    ctx.counter('n')\n",
    "raises_at_once": "async def t(ctx):\n    raise RuntimeError('QueueFull')\n",
    "blocks": "import time\n\nasync def t(ctx):\n    time.sleep(0.3)\n    ctx.counter('n')\n",
}


def _scenario_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "scenario.py"
    path.write_text(
        "from loadpulse import task\n"
        f"profile = {{'profile': 'constant-vus', 'vus': 3, 'duration': '{DURATION_S}s', "
        "'graceful_stop': '1s'}\n\n" + body.replace("async def t", "@task\nasync def t"),
        encoding="utf-8",
    )
    return str(path)


@dataclass
class Case:
    argv: list[str]
    code: int
    """Exit code when it runs its course."""
    fd_limit: int | None = None
    budget_s: float = DURATION_S + GRACE_S + SLACK_S


def _load_started() -> Callable[[], bool]:
    """True once a misbehaving server took a connection after this call: the run's load is going."""
    before = len(ACCEPTED)
    return lambda: len(ACCEPTED) > before


def _run(
    case: Case,
    tmp_path: Path,
    interrupt_after_s: float | None = None,
    interrupt_once: Callable[[], bool] | None = None,
) -> tuple[int, float, str, str]:
    """Runs the case; SIGINT ``interrupt_after_s`` after its start, or after ``interrupt_once`` says so (a
    sign from the run itself, so the test need not wait out the CLI's imports on a loaded machine)."""
    json_path = tmp_path / "summary.json"
    argv = [
        sys.executable,
        "-m",
        "loadpulse",
        *case.argv,
        "--json",
        str(json_path),
        "--no-history",
        "--no-progress",
    ]

    def limit() -> None:
        if case.fd_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (case.fd_limit, case.fd_limit))

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit, env=env
    )
    if interrupt_once is not None:
        deadline = time.monotonic() + READY_WAIT_S
        while not interrupt_once() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert interrupt_once(), "the run never showed its load (or setup) going"
    if interrupt_after_s is not None:
        time.sleep(interrupt_after_s)
    if interrupt_once is not None or interrupt_after_s is not None:
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    elapsed = time.monotonic() - start
    summary = json_path.read_text(encoding="utf-8") if json_path.exists() else ""
    return proc.returncode, elapsed, out + err, summary


def _cases(tmp_path: Path, blackhole: str, endless: str) -> dict[str, Case]:
    run = ["run", "--grace", f"{GRACE_S}s"]
    http = ["http", "-d", f"{DURATION_S}s", "--grace", f"{GRACE_S}s"]
    return {
        **{name: Case([*run, _scenario_file(tmp_path, body)], 0) for name, body in SCENARIOS.items()},
        "blackhole_target": Case([*http, "-c", "4", blackhole], 0),
        "endless_body": Case([*http, "-c", "2", endless], 0),
        "absurd_but_bounded_rate": Case([*http, "--rate", "200000", "--max-in-flight", "50", blackhole], 0),
    }


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[str, str]]:
    with fs.serve(_blackhole) as blackhole, fs.serve(_endless_body) as endless:
        yield blackhole + "/", endless + "/"


CASE_NAMES = [*SCENARIOS, "blackhole_target", "endless_body", "absurd_but_bounded_rate"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_run_ends_on_time_with_a_summary(name: str, tmp_path: Path, targets: tuple[str, str]) -> None:
    case = _cases(tmp_path, *targets)[name]
    code, elapsed, output, summary = _run(case, tmp_path)
    assert code == case.code, output
    assert elapsed < case.budget_s, f"took {elapsed:.1f} s\n{output}"
    assert "Traceback" not in output
    doc = json.loads(summary)
    assert doc["duration_s"] <= DURATION_S + GRACE_S + SLACK_S
    if name == "blocks":  # the generator's own stall is reported, not hidden in the latencies
        assert doc["generator"]["limited"] and doc["generator"]["loop_lag_ms"]["max"] >= 250
        assert "generator-limited" in output
    if name == "blackhole_target":  # unanswered at the end: counted, failed, and latency unknown
        assert doc["errors"]["unfinished"] == 4 and doc["requests"]["failed"] == 4
        assert doc["latency_ms"]["p50"] is None and " 0 µs" not in output


def test_a_task_blocking_for_good_ends_on_time_despite_graceful_stop(tmp_path: Path) -> None:
    path = tmp_path / "forever.py"
    path.write_text(BLOCKING_DEFAULT_GRACEFUL_STOP, encoding="utf-8")
    code, elapsed, output, summary = _run(Case(["run", str(path), "--grace", f"{GRACE_S}s"], 0), tmp_path)
    assert code == 0, output
    assert elapsed < DURATION_S + GRACE_S + SLACK_S, f"took {elapsed:.1f} s"
    assert "Traceback" not in output
    doc = json.loads(summary)
    assert doc["generator"]["limited"] and doc["scenarios"]["default"]["interrupted"] >= 1


@pytest.mark.parametrize(
    ("hooks", "fragment"),
    [
        (
            "setup_timeout = '1s'\n\ndef setup(ctx):\n    time.sleep(30)\n",
            "setup() did not finish within 1 s",
        ),
        ("setup_timeout = '1s'\n\nasync def setup(ctx):\n    await asyncio.sleep(30)\n", "within 1 s"),
        ("def setup(ctx):\n    sys.exit(0)\n", "setup() failed: SystemExit"),
    ],
)
def test_setup_that_hangs_or_exits_is_bad_input(tmp_path: Path, hooks: str, fragment: str) -> None:
    path = tmp_path / "hooks.py"
    path.write_text(
        "import asyncio, sys, time\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 1, 'duration': '1s'}\n\n"
        + hooks
        + "\n@task\nasync def t(ctx):\n    ctx.counter('ran')\n",
        encoding="utf-8",
    )
    code, elapsed, output, _ = _run(Case(["run", str(path)], 2), tmp_path)
    assert code == 2, output
    assert elapsed < 5
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], output


def test_a_blocking_teardown_is_interrupted_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "teardown.py"
    path.write_text(
        "import time\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 1, 'duration': '1s'}\n\n"
        "def teardown(ctx, data):\n    time.sleep(3600)\n\n"
        "@task\nasync def t(ctx):\n    ctx.counter('ran')\n",
        encoding="utf-8",
    )
    code, elapsed, output, summary = _run(Case(["run", str(path), "--grace", "1s"], 0), tmp_path)
    assert code == 0, output
    assert elapsed < 1 + 1 + SLACK_S, f"took {elapsed:.1f} s"
    assert "Traceback" not in output and "never retrieved" not in output
    assert any("teardown() was interrupted" in w for w in json.loads(summary)["warnings"])


@pytest.mark.parametrize("raised", ["asyncio.CancelledError()", "GeneratorExit()", "SystemExit(3)"])
def test_control_flow_exceptions_in_a_task_are_script_errors(tmp_path: Path, raised: str) -> None:
    path = tmp_path / "raises.py"
    path.write_text(
        "import asyncio\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 2, 'duration': '1s'}\n\n"
        f"@task\nasync def t(ctx):\n    await asyncio.sleep(0.01)\n    raise {raised}\n",
        encoding="utf-8",
    )
    code, _, output, summary = _run(Case(["run", str(path)], 0), tmp_path)
    assert code == 0, output
    assert "Traceback" not in output and "never retrieved" not in output
    doc = json.loads(summary)
    assert doc["errors"]["script_error"] >= 10 and doc["scenarios"]["default"]["iterations"] >= 10


def test_unfinished_requests_fail_an_error_threshold(tmp_path: Path, targets: tuple[str, str]) -> None:
    blackhole, _ = targets
    case = Case(["http", "-d", "1s", "--grace", "0.5s", "-c", "2", blackhole, "-t", "errors.count == 0"], 1)
    code, _, output, summary = _run(case, tmp_path)
    assert code == 1, output
    assert json.loads(summary)["verdict"] == "FAIL"


def test_a_healthy_run_is_not_generator_limited(tmp_path: Path, targets: tuple[str, str]) -> None:
    path = tmp_path / "calm.py"
    path.write_text(
        "import asyncio\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 2, 'duration': '2s'}\n\n"
        "@task\nasync def t(ctx):\n    await asyncio.sleep(0.05)\n",
        encoding="utf-8",
    )
    code, _, output, summary = _run(Case(["run", str(path)], 0), tmp_path)
    assert code == 0, output
    # Iterations of ~50 ms: a lag must be over 12.5 ms at p99 (or one stall of 500 ms) to count, which a
    # loop that only sleeps never shows, even on a busy machine.
    gen = json.loads(summary)["generator"]
    assert gen["limited"] is False and gen["reasons"] == []
    assert "generator-limited" not in output


@pytest.mark.parametrize("blocking", [True, False])
def test_sigint_during_setup_never_starts_the_load(tmp_path: Path, blocking: bool) -> None:
    """Ctrl-C in setup(), blocking (time.sleep) or awaiting, ends the run at once: exit 130, no load."""
    wait = "time.sleep(30)" if blocking else "await asyncio.sleep(30)"
    path = tmp_path / "slow_setup.py"
    began = tmp_path / "setup-began"
    path.write_text(
        "import asyncio, time\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 2, 'duration': '30s'}\n\n"
        f"async def setup(ctx):\n    open({str(began)!r}, 'w').close()\n    {wait}\n\n"
        "@task\nasync def t(ctx):\n    ctx.counter('ran')\n",
        encoding="utf-8",
    )
    # Sent once setup() began, and a little into its wait.
    code, elapsed, output, summary = _run(
        Case(["run", str(path)], 130), tmp_path, interrupt_after_s=0.2, interrupt_once=began.exists
    )
    assert code == 130, output
    assert elapsed < 5.0
    doc = json.loads(summary)
    assert doc["ended_by"] == "interrupted" and doc["scenarios"]["default"]["iterations"] == 0
    assert "ran" not in doc["metrics"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_sigint_ends_the_run_within_5_s(name: str, tmp_path: Path, targets: tuple[str, str]) -> None:
    case = _cases(tmp_path, *targets)[name]
    case.argv = [a.replace(f"{DURATION_S}s", "60s") for a in case.argv]
    if case.argv[0] == "run":  # no network: a setup() that leaves a mark says the load starts next
        began = tmp_path / "setup-done"
        scenario = Path(case.argv[-1]).read_text(encoding="utf-8").replace(f"'{DURATION_S}s'", "'60s'")
        scenario += f"\n\ndef setup(ctx):\n    open({str(began)!r}, 'w').close()\n"
        Path(case.argv[-1]).write_text(scenario, encoding="utf-8")
        load_started = began.exists
    else:  # the target took the run's first connection
        load_started = _load_started()
    # Half a second into the load.
    code, elapsed, output, summary = _run(case, tmp_path, interrupt_after_s=0.5, interrupt_once=load_started)
    assert code == 130, output
    assert elapsed < 5.0, f"took {elapsed:.1f} s after SIGINT\n{output}"
    assert "Traceback" not in output
    assert json.loads(summary)["ended_by"] == "interrupted"


def test_sighup_is_treated_like_sigterm(tmp_path: Path, targets: tuple[str, str]) -> None:
    blackhole, _ = targets
    json_path = tmp_path / "s.json"
    load_started = _load_started()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loadpulse",
            "http",
            blackhole,
            "-d",
            "60s",
            "-c",
            "2",
            "--json",
            str(json_path),
            "--no-history",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + READY_WAIT_S
    while not load_started() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the target took the run's first connection: the load is going
    assert load_started(), "the run never connected"
    time.sleep(0.5)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert json.loads(json_path.read_text(encoding="utf-8"))["ended_by"] == "interrupted"


def test_fd_limit_below_connections_is_refused_before_the_load(
    tmp_path: Path, targets: tuple[str, str]
) -> None:
    blackhole, _ = targets
    case = Case(["http", "-d", "2s", "-c", "1015", blackhole], 2, fd_limit=1024)
    code, elapsed, output, summary = _run(case, tmp_path)
    assert code == 2
    assert elapsed < 5
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "file descriptors" in lines[0] and "ulimit -n" in lines[0], output
    assert summary == ""


def test_scenario_requests_unanswered_at_the_end_are_unfinished(
    tmp_path: Path, targets: tuple[str, str]
) -> None:
    blackhole, _ = targets
    path = tmp_path / "waits.py"
    path.write_text(
        "from loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 3, 'duration': '1s', 'graceful_stop': '0.5s'}\n\n"
        "@task\nasync def t(ctx):\n    await ctx.http.get('/', name='hang')\n",
        encoding="utf-8",
    )
    code, _, output, summary = _run(
        Case(["run", str(path), "-u", blackhole, "-t", "errors.count == 0"], 1), tmp_path
    )
    assert code == 1, output
    doc = json.loads(summary)
    assert doc["errors"]["unfinished"] == 3 and doc["by_name"]["hang"]["requests"]["failed"] == 3


def test_sigint_during_the_grace_period_cuts_it_short(tmp_path: Path, targets: tuple[str, str]) -> None:
    """The load ended by its duration; its requests hang on a target that never answers, and the grace
    period would wait 30 s for them. One Ctrl-C ends that wait (it used to take a second one, and still
    said the run ended by its duration, exit 0)."""
    blackhole, _ = targets
    case = Case(["http", "-d", "1s", "--grace", "30s", "-c", "2", "--timeout", "60s", blackhole], 130)
    load_started = _load_started()
    code, elapsed, output, summary = _run(case, tmp_path, interrupt_after_s=1.8, interrupt_once=load_started)
    assert code == 130, output
    assert elapsed < 5.0, f"took {elapsed:.1f} s after SIGINT\n{output}"
    doc = json.loads(summary)
    assert doc["ended_by"] == "interrupted" and doc["errors"] == {"unfinished": 2}


def test_sigint_during_a_scenarios_graceful_stop_cuts_it_short(
    tmp_path: Path, targets: tuple[str, str]
) -> None:
    """A scenario's load is over and its iterations hang, waiting out a 30 s graceful stop: one Ctrl-C ends
    that wait (it used to wait on, then give the run's --grace on top)."""
    blackhole, _ = targets
    path = tmp_path / "hang.py"
    path.write_text(
        "from loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 2, 'duration': '1s', 'graceful_stop': '30s'}\n\n"
        f"@task\nasync def t(ctx):\n    await ctx.http.get({blackhole!r})\n",
        encoding="utf-8",
    )
    case = Case(["run", str(path), "--grace", "20s", "--timeout", "60s"], 130)
    code, elapsed, output, summary = _run(
        case, tmp_path, interrupt_after_s=1.8, interrupt_once=_load_started()
    )
    assert code == 130, output
    assert elapsed < 5.0, f"took {elapsed:.1f} s after SIGINT\n{output}"
    assert json.loads(summary)["ended_by"] == "interrupted"

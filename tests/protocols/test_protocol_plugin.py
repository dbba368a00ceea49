"""Protocols plug in by name: a fake one registered in a test runs a scenario end to end, untouched engine."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from time import perf_counter_ns
from typing import Any, ClassVar

import pytest

from loadpulse.engine.execute import execute_plan
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols import registry
from loadpulse.protocols.http.plugin import HttpProtocol
from loadpulse.protocols.session import SessionSettings
from loadpulse.protocols.sessions import Sessions
from loadpulse.results.summary import build_summary
from loadpulse.scenario.ctx import Ctx, Vu
from loadpulse.scenario.loader import load_scenario
from loadpulse.scenario.source import RunOptions, build_plan


def grpc_like_kind(code: int) -> str | None:
    """gRPC-style codes: 0 is OK, 14 (UNAVAILABLE) a reset, anything else a protocol error."""
    return None if code == 0 else "reset" if code == 14 else "protocol"


class EchoSession:
    opened: ClassVar[list[EchoSession]] = []

    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        self.recorder = recorder
        self.settings = settings
        self.started = self.closed = self.busy = 0
        EchoSession.opened.append(self)

    async def prepare(self) -> None:
        pass

    def start(self) -> None:
        self.started += 1

    def client(self) -> EchoClient:
        return EchoClient(self)

    def in_flight(self) -> int:
        return self.busy

    def connection_count(self) -> int:
        return 0

    def close(self) -> None:
        self.closed += 1


class EchoClient:
    def __init__(self, session: EchoSession) -> None:
        self.session = session
        self.intended_ns = 0

    async def call(self, method: str, code: int = 0) -> int:
        rec = self.session.recorder.for_name(method, grpc_like_kind)
        sent = perf_counter_ns()
        start, self.intended_ns = self.intended_ns or sent, 0
        self.session.busy += 1
        await asyncio.sleep(0.001)
        self.session.busy -= 1
        now = perf_counter_ns()
        rec.lat.append((now - start) // 1000)
        rec.svc.append((now - sent) // 1000)
        rec.status.append(code)
        return code


class CountingHttp(HttpProtocol):
    made = 0

    def __init__(self, settings: SessionSettings, recorder: Recorder) -> None:
        CountingHttp.made += 1
        super().__init__(settings, recorder)


SCENARIO = """
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 5}

@task
async def t(ctx):
    code = 14 if ctx.vu.iteration % 5 == 0 else 0
    await ctx.echo.call("Echo/Say", code=code)
    ctx.check(ctx.echo is ctx.echo, "one client per VU")
"""


def test_a_registered_protocol_runs_a_scenario_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "echo.py"
    path.write_text(textwrap.dedent(SCENARIO))
    EchoSession.opened.clear()
    CountingHttp.made = 0
    with registry.registered("echo", EchoSession), registry.registered("http", CountingHttp):
        plan = build_plan(load_scenario(str(path)), RunOptions())
        summary = build_summary(execute_plan(plan, handle_signals=False))
    stats = summary["by_name"]["Echo/Say"]
    assert stats["requests"]["total"] == 10
    assert stats["requests"]["failed"] == 2 and stats["errors"] == {"reset": 2}
    assert summary["checks"]["one client per VU"]["failed"] == 0
    [session] = EchoSession.opened  # one session shared by both VUs, started and closed once
    assert (session.started, session.closed) == (1, 1)
    assert CountingHttp.made == 0  # a protocol the scenario never touches is never opened


def test_a_misspelt_protocol_is_a_script_error_naming_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "typo.py"
    path.write_text(
        "from loadpulse import task\n"
        "profile = {'profile': 'per-vu-iterations', 'vus': 1, 'iterations': 1}\n"
        "@task\nasync def t(ctx):\n    await ctx.htp.get('/')\n"
    )
    plan = build_plan(load_scenario(str(path)), RunOptions())
    summary = build_summary(execute_plan(plan, handle_signals=False))
    [(key, n)] = summary["scenarios"]["default"]["script_errors"].items()
    assert n == 1 and key.startswith("AttributeError") and "typo.py:5" in key


def _ctx() -> tuple[Ctx, list[EchoSession]]:
    EchoSession.opened.clear()
    with registry.registered("echo", EchoSession):
        sessions = Sessions(SessionSettings(), Recorder())
        return Ctx(sessions, Vu(1), "s", Recorder().metrics), EchoSession.opened


def test_the_intended_start_reaches_a_client_made_later_in_the_iteration() -> None:
    with registry.registered("echo", EchoSession):
        ctx, _ = _ctx()
        ctx.begin_iteration(123)
        assert ctx.echo.intended_ns == 123
        ctx.echo.intended_ns = 0  # its first request took it
        assert ctx.echo.intended_ns == 0  # the same client: not handed the start again
        ctx.begin_iteration(456)
        assert ctx.echo.intended_ns == 456


def test_private_and_unknown_names_stay_attribute_errors() -> None:
    ctx, opened = _ctx()
    with pytest.raises(AttributeError, match=r"did you mean ctx\.check"):
        ctx.chekc  # noqa: B018
    with pytest.raises(AttributeError):
        ctx.__deepcopy__  # noqa: B018
    assert opened == []


def test_protocol_names_must_be_identifiers() -> None:
    with pytest.raises(ValueError, match="identifier"):
        registry.register("web-socket", EchoSession)
    with pytest.raises(ValueError):
        registry.register("_hidden", EchoSession)


def test_every_registered_protocol_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in registry.names():
        factory: Any = registry.factory(name)
        assert callable(factory)


TIMED = """
import asyncio, time
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 2, "iterations": 3}

@task
async def t(ctx):
    async with ctx.timed("db insert"):
        time.sleep(0.02)  # blocking on purpose: a lower bound the event loop cannot round down
    with ctx.timed("cpu work"):
        time.sleep(0.001)
    if ctx.vu.iteration == 2:
        async with ctx.timed("flaky"):
            raise RuntimeError("lost the connection")
"""


def test_ctx_timed_measures_blocks_of_python_as_named_requests(tmp_path: Path) -> None:
    path = tmp_path / "timed.py"
    path.write_text(textwrap.dedent(TIMED))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    summary = build_summary(execute_plan(plan, handle_signals=False))
    by_name = summary["by_name"]
    assert by_name["db insert"]["requests"] == {**by_name["db insert"]["requests"], "total": 6, "failed": 0}
    assert by_name["db insert"]["latency_ms"]["min"] >= 20.0
    assert by_name["cpu work"]["requests"]["total"] == 6
    assert by_name["flaky"]["requests"]["failed"] == 2 and by_name["flaky"]["errors"] == {"script_error": 2}
    [(key, n)] = summary["scenarios"]["default"]["script_errors"].items()
    assert n == 2 and key.startswith("RuntimeError")


CALLS = """
import asyncio, threading, time
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 4, "iterations": 3}
loop_threads = set()

def write(n):
    time.sleep(0.03)  # a blocking driver call: must not stall the event loop
    if n == 2:
        raise OSError("disk full")
    return threading.current_thread().name

@task
async def t(ctx):
    loop_threads.add(threading.current_thread().name)
    try:
        where = await ctx.call("write", write, ctx.vu.iteration)
        ctx.check(where.startswith("loadpulse-call"), "ran in a pool thread")
    except OSError:
        pass
    read = ctx.timed("read")(asyncio.sleep)
    await read(0.001)
"""


def test_ctx_call_runs_blocking_functions_in_threads_and_times_them(tmp_path: Path) -> None:
    path = tmp_path / "calls.py"
    path.write_text(textwrap.dedent(CALLS))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    summary = build_summary(execute_plan(plan, handle_signals=False))
    write = summary["by_name"]["write"]
    assert write["requests"]["total"] == 12 and write["requests"]["failed"] == 4
    assert write["errors"] == {"script_error": 4}
    assert write["latency_ms"]["min"] >= 25.0  # the 30 ms call, measured whole
    assert summary["checks"]["ran in a pool thread"] == {
        **summary["checks"]["ran in a pool thread"],
        "failed": 0,
    }
    assert summary["by_name"]["read"]["requests"]["total"] == 12  # the decorator form times every call


def test_ctx_timed_called_without_with_is_named_in_the_warnings(tmp_path: Path) -> None:
    path = tmp_path / "bare.py"
    path.write_text(
        "from loadpulse import task\n"
        "profile = {'profile': 'per-vu-iterations', 'vus': 1, 'iterations': 3}\n"
        "@task\nasync def t(ctx):\n    ctx.timed('forgot the with')\n"
        "    with ctx.timed('kept'):\n        pass\n"
    )
    plan = build_plan(load_scenario(str(path)), RunOptions())
    summary = build_summary(execute_plan(plan, handle_signals=False))
    assert summary["by_name"]["kept"]["requests"]["total"] == 3
    assert any("ctx.timed(...) was called 3 times without" in w for w in summary["warnings"])


def test_a_hung_ctx_call_does_not_hold_the_process_open(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "hung.py"
    path.write_text(
        "import time\nfrom loadpulse import task\n"
        "profile = {'profile': 'constant-vus', 'vus': 2, 'duration': '1s', 'graceful_stop': '0.5s'}\n"
        "@task\nasync def t(ctx):\n    await ctx.call('sdk', time.sleep, 120)\n"
    )
    # A 120 s call abandoned at the end of a 1.5 s run: the process must exit long before it returns.
    done = subprocess.run(
        [sys.executable, "-m", "loadpulse", "run", str(path), "--no-history", "--quiet", "--json", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["by_name"]["sdk"]["errors"] == {"unfinished": 2}


AWAITABLES = """
import asyncio
from loadpulse import task

profile = {"profile": "per-vu-iterations", "vus": 1, "iterations": 2}

class Client:
    async def __call__(self, s):
        await asyncio.sleep(s)
        return s

@task
async def t(ctx):
    assert await ctx.timed("object")(Client())(0.02) == 0.02
    assert await ctx.timed("lambda")(lambda: asyncio.sleep(0.02, "x"))() == "x"
    ctx.timed("never entered")  # takes no name slot and is only warned about
"""


def test_the_decorator_times_whatever_the_call_returns_until_it_is_awaited(tmp_path: Path) -> None:
    path = tmp_path / "awaitables.py"
    path.write_text(textwrap.dedent(AWAITABLES))
    plan = build_plan(load_scenario(str(path)), RunOptions())
    summary = build_summary(execute_plan(plan, handle_signals=False))
    for name in ("object", "lambda"):
        assert summary["by_name"][name]["requests"]["total"] == 2
        assert summary["by_name"][name]["latency_ms"]["min"] >= 15.0  # the awaited sleep, not making it
    assert "never entered" not in summary["by_name"]

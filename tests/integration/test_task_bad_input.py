"""Bad input met inside a task (a URL loadpulse cannot send to, a non-WebSocket URL for ctx.ws, an unknown
gRPC method) ends the run at once as bad input: one line naming the scenario's file:line, exit 2, no
report; an exception of the script's own stays a script error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.protocols.grpc.echo_target import PROTO

LONG = ("-d", "30s")
"""Far longer than the run may take: bad input stops it at the first iteration that meets it."""
QUIET = ("-q", "--no-history")


def scenario(tmp_path: Path, body: str, name: str = "s.py") -> Path:
    path = tmp_path / name
    path.write_text(
        "import asyncio\n\nfrom loadpulse import task, load_protos\n\n\n@task\nasync def t(ctx):\n" + body
    )
    return path


def assert_bad_input(res: CliResult, where: str, *said: str) -> None:
    assert res.code == 2, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert f"{where}: " in lines[0] and "Traceback" not in res.err
    for part in said:
        assert part in lines[0]


def test_an_unsupported_scheme_stops_the_run_with_the_line_that_asked(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = scenario(tmp_path, '    await ctx.http.get("ftp://127.0.0.1:1/x")\n')
    report = tmp_path / "summary.json"
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    res = cli("run", str(path), *LONG, "--vus", "2", "--json", str(report), "--store", store, "-q")
    assert_bad_input(res, f"{path}:8", "unsupported scheme 'ftp'")
    # Exit 2: nothing was run worth a report or a history row.
    assert not report.exists()
    assert "no runs in" in cli("history", "--store", store).out


def test_a_non_websocket_url_for_ctx_ws_is_bad_input(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    path = scenario(
        tmp_path,
        "    await asyncio.sleep(0)\n"
        '    async with ctx.ws.connect("http://127.0.0.1:1/ws") as ws:\n'
        '        await ws.send("x")\n',
    )
    res = cli("run", str(path), *LONG, "--vus", "2", *QUIET)
    assert_bad_input(res, f"{path}:9", "http:// is not a WebSocket URL")


def test_an_unknown_grpc_method_is_bad_input(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    pytest.importorskip("grpc")
    path = tmp_path / "s.py"
    path.write_text(
        "from loadpulse import load_protos, task\n"
        f"echo = load_protos({str(PROTO)!r})\n"
        "\n"
        "@task\n"
        "async def t(ctx):\n"
        '    await ctx.grpc("127.0.0.1:1", echo).call("Echo/Missing", {})\n'
    )
    res = cli("run", str(path), *LONG, "--vus", "2", *QUIET)
    assert_bad_input(res, f"{path}:6", "unknown gRPC method 'Echo/Missing'")


def test_a_yaml_flow_names_its_step(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text("scenarios:\n  - name: a\n    requests:\n      - url: ftp://127.0.0.1:1/x\n")
    res = cli("run", str(path), *LONG, "--vus", "1", *QUIET)
    assert_bad_input(res, f"{path}:4", "scenarios[0].requests[0]", "unsupported scheme 'ftp'")


def test_one_workers_bad_input_stops_every_worker(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    # VU 2 (the second worker's) meets the bad URL; the others would sleep through the whole run.
    path = scenario(
        tmp_path,
        "    if ctx.vu.id == 2:\n"
        '        await ctx.http.get("ftp://127.0.0.1:1/x")\n'
        "    await asyncio.sleep(30)\n",
    )
    res = cli("run", str(path), *LONG, "--vus", "2", "--workers", "2", *QUIET)
    assert_bad_input(res, f"{path}:9", "unsupported scheme 'ftp'")


def test_the_scripts_own_exception_stays_a_script_error(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = scenario(tmp_path, '    raise ValueError("no")\n')
    res = cli("run", str(path), "-i", "20", "--vus", "2", "--json", "-", *QUIET)
    assert res.code == 0, res.err
    assert res.summary()["errors"] == {"script_error": 20}
    res = cli("run", str(path), "-i", "20", "--vus", "2", "-t", "errors.rate < 1%", "--json", "-", *QUIET)
    assert res.code == 1, res.err

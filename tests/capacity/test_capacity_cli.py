"""`loadpulse capacity` bad input: one line naming the problem, exit 2, before any load is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

URL = "http://127.0.0.1:9/"  # the discard port: nothing here may ever be sent a request


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--slo", "pipeline.e2e.p95<2s"], "cannot be measured: there is no pipeline check"),
        (["--slo", "checks.rate>99%"], "measured by scenario files only"),
        (["--slo", "probe.queue.max<10"], "no probe gives 'queue'"),
        (
            ["--slo", "p95<100ms", "--start-rate", "100", "--max-rate", "50"],
            "--max-rate 50 is below the start",
        ),
        ([], "give at least one --slo"),
        (["--slo", "p95<100ms", "--precision", "150%"], "--precision '150%' must be between"),
        (["--slo", "p95<100ms", "--preset", "soak"], "capacity presets are breakpoint, stress"),
        (["--slo", "p95<100ms", "--vus", "--start-rate", "2.5"], "whole number of VUs"),
        (["--slo", "p95<100ms", "--max-vus", "10"], "--max-vus is for a scenario file"),
        (["--slo", "p95<100ms", "--step-duration", "10s", "--max-duration", "5s"], "shorter than one step"),
        (["--slo", "p95<100ms", "--growth", "1"], "--growth must be greater than 1"),
        (["--slo", "p95<100ms", "--html", "-"], "--html needs a file path"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli: Callable[..., CliResult], args: list[str], needle: str) -> None:
    r = cli("capacity", URL, *args)
    assert r.code == 2
    assert needle in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_a_scenario_option_against_a_file_and_a_missing_file(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    r = cli("capacity", str(tmp_path / "nope.py"), "--slo", "p95<1s")
    assert r.code == 2 and "nope.py" in r.err
    path = tmp_path / "s.py"
    path.write_text("from loadpulse import task\n\n@task\nasync def t(ctx):\n    pass\n")
    r = cli("capacity", str(path), "--slo", "p95<1s", "-H", "X: y")
    assert r.code == 2 and "-header is for a URL target" in r.err


def test_a_bad_expression_points_at_the_problem(cli: Callable[..., CliResult]) -> None:
    r = cli("capacity", URL, "--slo", "p95 << 100ms")
    assert r.code == 2 and "p95 << 100ms" in r.err and "Traceback" not in r.err


def test_run_preset_breakpoint_points_to_capacity(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text("from loadpulse import task\n\n@task\nasync def t(ctx):\n    pass\n")
    r = cli("run", str(path), "--preset", "breakpoint")
    assert r.code == 2 and "loadpulse capacity FILE --preset breakpoint" in r.err

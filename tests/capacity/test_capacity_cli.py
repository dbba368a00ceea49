"""`loadpulse capacity` bad input: one line naming the problem, exit 2, before any load is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.cli.drift_options import drift_choice
from loadpulse.errors import BadInput
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
        (["--slo", "p95<100ms", "--start-rate", "0"], "--start-rate must be greater than zero"),
        (["--slo", "p95<100ms", "--max-rate", "0"], "--max-rate must be greater than zero"),
        (["--slo", "p95<100ms", "--start-rate", "inf"], "--start-rate must be a finite number"),
        (["--slo", "p95<100ms", "--growth", "inf"], "--growth must be a finite number"),
        (["--slo", "p95<100ms", "--max-rate", "nan"], "--max-rate must be a finite number"),
        (["--slo", "p95<1s", "--vus", "--max-in-flight", "5"], "--max-in-flight does not apply with --vus"),
        (["--slo", "p95<100ms", "--vus", "-c", "5"], "-c/--connections does not apply with --vus"),
        (["--slo", "p95<100ms", "--preset", "stress", "-c", "5"], "does not apply with --vus"),
        (["--slo", "drift.p95<10%"], "is a trend over a whole run"),
        (["--slo", "probe.target.rss.drift<5%", "--probe", "target=pid:1"], "is a trend over a whole run"),
        (["--slo", "http{name=nonexistent}.p95<1s"], "sends no request named 'nonexistent'"),
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
    r = cli("capacity", str(path), "--slo", "p95<1s", "-c", "5")
    assert r.code == 2 and "-c/--connections is for a URL target" in r.err
    r = cli("capacity", str(path), "--slo", "p95<1s", "--vus", "--max-vus", "5")
    assert r.code == 2 and "--max-vus does not apply with --vus" in r.err
    r = cli("capacity", str(path), "--slo", "drift.p95<10%")
    assert r.code == 2 and "trend over a whole run" in r.err and len(r.err.strip().splitlines()) == 1


def test_a_bad_expression_points_at_the_problem(cli: Callable[..., CliResult]) -> None:
    r = cli("capacity", URL, "--slo", "p95 << 100ms")
    assert r.code == 2 and "p95 << 100ms" in r.err and "Traceback" not in r.err


def test_run_preset_breakpoint_points_to_capacity(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text("from loadpulse import task\n\n@task\nasync def t(ctx):\n    pass\n")
    r = cli("run", str(path), "--preset", "breakpoint")
    assert r.code == 2 and "loadpulse capacity FILE --preset breakpoint" in r.err


def test_drift_min_zero_is_refused() -> None:
    """--drift-min 0 would mean 'always', which --drift already says (cli/drift_options.py)."""
    with pytest.raises(BadInput, match="--drift-min '0' must be greater than zero"):
        drift_choice({"drift": None, "drift_min": "0"})

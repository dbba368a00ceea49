"""A target that refuses, resets, stalls or sends garbage is not bad input: errors by kind, run completes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.engine import fault_servers as fs


def run_json(cli: Callable[..., CliResult], url: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("http", url + "/", *args, "--json", "-", "--quiet")
    assert result.code == 0, result.err
    return result.summary()


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (fs.reset_mid_response, "reset"),
        (fs.garbage, "protocol"),
        (fs.close_without_answer, "reset"),
    ],
)
def test_faults_are_counted_by_kind(cli: Callable[..., CliResult], handler: fs.Handler, kind: str) -> None:
    with fs.serve(handler) as url:
        s = run_json(cli, url, "-n", "12", "-c", "3", "--timeout", "2s")
    assert s["requests"] == {"total": 12, "ok": 0, "failed": 12, "rate": s["requests"]["rate"]}
    assert s["errors"] == {kind: 12}


def test_refused_connections(cli: Callable[..., CliResult]) -> None:
    s = run_json(cli, fs.closed_port(), "-n", "25", "-c", "5")
    assert s["errors"] == {"connect_refused": 25} and s["requests"]["failed"] == 25


def test_stalls_time_out_and_stay_in_the_latency_record(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.stall) as url:
        s = run_json(cli, url, "-n", "4", "-c", "2", "--timeout", "300ms")
    assert s["errors"] == {"timeout": 4}
    assert s["latency_ms"]["min"] >= 300 and s["latency_ms"]["max"] < 1500


def test_server_closing_keepalive_connections_is_not_an_error(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.ok_then_close) as url:
        s = run_json(cli, url, "-n", "60", "-c", "4")
    assert s["requests"]["ok"] == 60 and s["errors"] == {}


def test_body_delimited_by_close(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.eof_body) as url:
        s = run_json(cli, url, "-n", "10", "-c", "2")
    assert s["requests"]["ok"] == 10 and s["status_codes"] == {"200": 10}


def test_open_model_against_stalling_target_counts_dropped(cli: Callable[..., CliResult]) -> None:
    with fs.serve(fs.stall) as url:
        s = run_json(
            cli,
            url,
            "--rate",
            "50",
            "-d",
            "1s",
            "--max-in-flight",
            "5",
            "--timeout",
            "5s",
            "-c",
            "5",
            "--grace",
            "0.2s",
        )
    # ~51 arrivals in 1 s; the 5 pre-opened connections take the first 5, which never complete (abandoned at
    # the end), and every later arrival finds max-in-flight reached: dropped, not queued.
    assert s["abandoned"] == 5 and 45 <= s["dropped"] <= 47
    assert s["model"] == "open" and s["latency_basis"] == "intended_start"


def test_summary_written_to_file_even_when_everything_failed(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "s.json"
    result = cli("http", fs.closed_port() + "/", "-n", "3", "--json", str(out), "--no-progress")
    assert result.code == 0 and out.exists()
    assert "connect_refused: 3" in result.out

"""A target that refuses, resets, stalls or sends garbage is not bad input: errors by kind, run completes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from tests.conftest import CliResult
from tests.engine import fault_servers as fs


def run_json(cli: Callable[..., CliResult], url: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("http", url + "/", *args, "--json", "-", "--quiet", "--no-history")
    assert result.code == 0, result.err
    return result.summary()


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (fs.reset_mid_response, "reset"),
        (fs.eof_mid_body, "premature_eof"),
        (fs.garbage, "protocol"),
        (fs.status_999, "protocol"),
        (fs.huge_header, "protocol"),
        (fs.close_without_answer, "premature_eof"),
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
    # The 5 pre-opened connections take the first arrivals, which never complete (abandoned at the end),
    # and later ones find max-in-flight reached: dropped, not queued. Exact counts: tests/engine/test_open.py.
    assert s["abandoned"] == 5 and s["dropped"] > 0
    assert s["model"] == "open" and s["latency_basis"] == "intended_start"


def test_summary_written_to_file_even_when_everything_failed(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "s.json"
    result = cli("http", fs.closed_port() + "/", "-n", "3", "--json", str(out), "--no-progress")
    assert result.code == 0 and out.exists()
    assert "connect_refused: 3" in result.out


@contextmanager
def rss_growth() -> Iterator[list[int]]:
    """Samples this process's RSS every 20 ms; yields a list that holds the peak growth afterwards."""
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    growth: list[int] = []
    try:
        yield growth
    finally:
        done.set()
        thread.join()
        growth.append(peak[0] - base)


def test_endless_chunked_body_times_out_with_flat_memory(cli: Callable[..., CliResult]) -> None:
    with fs.serve_apart("endless_chunked") as url, rss_growth() as growth:
        t0 = time.monotonic()
        s = run_json(cli, url, "-n", "2", "-c", "2", "--timeout", "1s")
        took = time.monotonic() - t0
    assert s["errors"] == {"timeout": 2} and s["requests"]["total"] == 2
    assert s["bytes"]["received"] > 10_000_000  # it did stream: what was received was counted
    assert growth[0] < 100 * 2**20 and took < 4


def test_big_bodies_are_counted_not_kept(cli: Callable[..., CliResult]) -> None:
    with fs.serve_apart("big_body", str(50 * 2**20)) as url, rss_growth() as growth:
        s = run_json(cli, url, "-n", "8", "-c", "4", "--timeout", "20s")
    assert s["requests"]["ok"] == 8 and s["errors"] == {}
    assert s["bytes"]["received"] > 8 * 50 * 2**20
    assert growth[0] < 100 * 2**20  # four 50 MB bodies in flight at once


def test_refused_target_with_a_duration_ends_on_time(cli: Callable[..., CliResult]) -> None:
    # A refused connect can fail without suspending: without a pause between failures the connect loop
    # never yields and the run never ends.
    t0 = time.monotonic()
    s = run_json(cli, fs.closed_port(), "-d", "1s", "-c", "20", "--grace", "0.2s")
    assert time.monotonic() - t0 < 4
    assert set(s["errors"]) == {"connect_refused"}
    assert s["errors"]["connect_refused"] < 20 * 15  # each slot backed off (10 ms doubling), not spun

"""The embedded demo target, driven for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


def get_json(url: str, method: str = "GET", body: bytes | None = None) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_demo_target_api(demo_url: str) -> None:
    created = get_json(f"{demo_url}/api/messages", "POST", b'{"content": "x"}')
    assert created["queued"] is True
    assert get_json(f"{demo_url}/api/messages/{created['id']}")["id"] == created["id"]
    health = get_json(f"{demo_url}/health")
    assert health["status"] == "healthy" and "queue_length" in health


def test_load_against_demo_target_persists_every_message(
    cli: Callable[..., CliResult], demo_url: str
) -> None:
    health = get_json(f"{demo_url}/health")
    before = health["stored"] + health["queue_length"]
    result = cli(
        "http",
        f"{demo_url}/api/messages",
        "-n",
        "500",
        "-c",
        "10",
        "--json-body",
        '{"a": 1}',
        "--json",
        "-",
        "--quiet",
    )
    s = result.summary()
    assert s["requests"]["ok"] == 500 and s["status_codes"] == {"202": 500}
    deadline = time.monotonic() + 5
    while get_json(f"{demo_url}/health")["stored"] < before + 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get_json(f"{demo_url}/health")["stored"] == before + 500


def test_knobs_make_errors_and_latency(cli: Callable[..., CliResult], demo_url: str) -> None:
    get_json(f"{demo_url}/_knobs", "PUT", b'{"error_rate": 0.5, "latency_ms": 20}')
    try:
        s = cli(
            "http", f"{demo_url}/api/messages/1", "-n", "200", "-c", "10", "--json", "-", "--quiet"
        ).summary()
    finally:
        get_json(f"{demo_url}/_knobs", "PUT", b'{"error_rate": 0, "latency_ms": 0}')
    assert 60 <= s["errors"].get("http_5xx", 0) <= 140
    assert s["latency_ms"]["p50"] >= 20


def test_demo_command(cli: Callable[..., CliResult]) -> None:
    result = cli("demo", "-d", "2s", "--json", "-", "--no-progress")
    assert result.code == 0, result.err
    s = result.summary()
    assert set(s["by_name"]) == {"health", "create message", "read message"}
    assert s["requests"]["failed"] == 0 and s["requests"]["total"] > 100
    shares = {n: v["requests"]["total"] / s["requests"]["total"] for n, v in s["by_name"].items()}
    assert abs(shares["health"] - 0.5) < 0.03 and abs(shares["read message"] - 0.1) < 0.03
    # Every accepted message is tracked and found in the target's database, once, shared by its workers.
    p = s["pipeline"]
    assert p["sent"] == p["delivered"] == s["by_name"]["create message"]["requests"]["ok"]
    assert (
        p["lost"]["count"] == p["duplicates"]["count"] == p["stuck"]["count"] == p["unexpected"]["count"] == 0
    )
    assert set(p["by_worker"]) == {"worker-1", "worker-2", "worker-3", "worker-4"}
    assert p["drained"] and p["e2e_basis"]["persist_time"] == p["delivered"]
    assert [t["metric"] for t in s["thresholds"]] == [
        "pipeline.lost.count",
        "pipeline.duplicates.count",
        "pipeline.stuck.count",
        "pipeline.fairness",
    ]
    assert s["verdict"] == "PASS", s["thresholds"]
    assert "pipeline  sent" in result.err and "messages stored" not in result.err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_gracefully_writes_summary_and_exits_130(
    demo_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "s.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loadpulse",
            "http",
            f"{demo_url}/health",
            "-d",
            "60s",
            "-c",
            "5",
            "--json",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: the run is going and handles signals
    assert "req/s" in first, first
    time.sleep(0.5)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    s = json.loads(out.read_text())
    assert s["ended_by"] == "interrupted" and s["requests"]["ok"] > 0 and s["duration_s"] < 10
    assert "interrupted" in stdout and "Traceback" not in stderr

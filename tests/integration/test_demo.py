"""The embedded demo target, driven for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
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
    result = cli("demo", "-d", "2s", "--json", "-", "--no-progress", "--abort-on-fail")
    assert result.code == 0, result.err
    s = result.summary()
    assert s["ended_by"] == "completed"  # the demo's pipeline thresholds are judged once drained
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


def _demo(cli: Callable[..., CliResult], *knobs: str, drain: str = "0.5s") -> tuple[int, dict]:  # type: ignore[type-arg]
    r = cli("demo", "-d", "1s", "--drain-timeout", drain, "--json", "-", "--quiet", "--no-history", *knobs)
    s = r.summary()
    verdicts = {t["metric"]: t["verdict"] for t in s["thresholds"]}
    assert r.code == (1 if s["verdict"] == "FAIL" else 0), r.err
    return r.code, {**s["pipeline"], "verdicts": verdicts}


def test_lost_messages_fail_the_lost_verdict(cli: Callable[..., CliResult]) -> None:
    code, p = _demo(cli, "--loss-rate", "1")
    assert code == 1 and p["verdicts"]["pipeline.lost.count"] == "FAIL"
    assert p["sent"] > 0 and p["lost"]["count"] == p["sent"] and p["delivered"] == 0
    assert len(p["lost_ids"]) == 20 and p["lost"]["rate"] == 1.0


def test_duplicated_messages_fail_the_duplicates_verdict(cli: Callable[..., CliResult]) -> None:
    code, p = _demo(cli, "--duplicate-rate", "1")
    assert code == 1 and p["verdicts"]["pipeline.duplicates.count"] == "FAIL"
    assert p["sent"] > 0 and p["duplicates"]["count"] == p["delivered"] == p["sent"]
    assert p["verdicts"]["pipeline.lost.count"] == "PASS"


def test_stuck_messages_fail_the_stuck_verdict(cli: Callable[..., CliResult]) -> None:
    code, p = _demo(cli, "--stuck-rate", "1", "--stuck-after", "0.2s")
    assert code == 1 and p["verdicts"]["pipeline.stuck.count"] == "FAIL"
    assert p["sent"] > 0 and p["stuck"]["count"] == p["in_progress"] == p["sent"]
    assert p["delivered"] == 0 and p["lost"]["count"] == 0 and not p["drained"]


def test_a_slow_worker_fails_the_fairness_verdict(cli: Callable[..., CliResult]) -> None:
    # 10 ms a message: a batch of ~50 keeps worker-1 busy for ~0.5 s while the others take turns every
    # ~0.15 s; the drain waits for its last batch, so only fairness fails.
    code, p = _demo(cli, "--slow-worker-ms", "10", drain="5s")
    assert code == 1 and p["verdicts"] == {
        "pipeline.lost.count": "PASS",
        "pipeline.duplicates.count": "PASS",
        "pipeline.stuck.count": "PASS",
        "pipeline.fairness": "FAIL",
    }
    slowest = min(p["by_worker"], key=p["by_worker"].get)
    assert slowest == "worker-1" and p["fairness_pct"] > 20


def test_a_stopped_worker_fails_fairness_and_holds_its_batch_past_the_drain(
    cli: Callable[..., CliResult],
) -> None:
    code, p = _demo(cli, "--stop-worker", "5s")
    assert code == 1 and p["verdicts"]["pipeline.fairness"] == "FAIL"
    assert "worker-4" not in p["by_worker"] and p["fairness_pct"] == 100.0  # 4 expected, one stored none
    assert p["lost"]["count"] > 0 and not p["drained"]  # its batch was still held when the drain gave up
    assert p["verdicts"]["pipeline.lost.count"] == "FAIL"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["demo", "--loss-rate", "1.5"], "--loss-rate must be between 0 and 1"),
        (["demo", "--duplicate-rate", "-0.1"], "--duplicate-rate must be between 0 and 1"),
        (["demo", "--stuck-rate", "0.6", "--loss-rate", "0.6"], "at most 1"),
        (["demo", "--slow-worker-ms", "-1"], "--slow-worker-ms must be >= 0"),
        (["demo", "--stop-worker", "soon"], "--stop-worker 'soon' is not a duration"),
        (["demo", "--target-workers", "0"], "--target-workers 0"),
        (["demo", "--stuck-after", "x"], "--stuck-after"),
        (["target", "demo", "--workers", "1000"], "--workers 1000"),
        (["target", "demo", "--loss-rate", "2"], "--loss-rate must be between 0 and 1"),
        (["target", "demo", "--stop-worker", "-3s"], "--stop-worker"),
        (["target", "demo", "--db", "/nonexistent/dir/m.db", "--port", "0"], "--db"),
    ],
)
def test_bad_knobs_are_one_line_and_exit_2(
    cli: Callable[..., CliResult], args: list[str], fragment: str
) -> None:
    r = cli(*args)
    assert r.code == 2 and fragment in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_pipeline_knobs_change_at_run_time(demo_url: str) -> None:
    knobs = get_json(f"{demo_url}/_knobs")
    assert knobs["loss_rate"] == knobs["stop_worker_s"] == 0
    with pytest.raises(urllib.error.HTTPError) as bad:
        get_json(f"{demo_url}/_knobs", "PUT", b'{"duplicate_rate": 2}')
    assert bad.value.code == 400 and b"duplicate_rate" in bad.value.read()
    changed = get_json(f"{demo_url}/_knobs", "PUT", b'{"loss_rate": 1}')
    try:
        assert changed["loss_rate"] == 1
        lost = get_json(f"{demo_url}/api/messages", "POST", b'{"content": "gone"}')["id"]
        deadline = time.monotonic() + 5
        while get_json(f"{demo_url}/health")["in_flight"] + get_json(f"{demo_url}/health")["queue_length"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        get_json(f"{demo_url}/_knobs", "PUT", b'{"loss_rate": 0}')
    with pytest.raises(urllib.error.HTTPError) as missing:
        get_json(f"{demo_url}/api/messages/{lost}")
    assert missing.value.code == 404
    kept = get_json(f"{demo_url}/api/messages", "POST", b'{"content": "kept"}')["id"]
    assert get_json(f"{demo_url}/api/messages/{kept}")["id"] == kept

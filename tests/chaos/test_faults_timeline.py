"""Faults on the run's timeline, end to end through the CLI on loopback: where they land in the results
file, a latency fault through a real fault proxy and the recovery after it, recovery thresholds."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadpulse.results.file import read_results
from tests.conftest import CliResult
from tests.ports import free_port
from tests.services import Nginx

QUIET = ("--quiet", "--no-history")


def results(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))  # type: ignore[no-any-return]


def test_a_proxy_latency_fault_lands_at_its_time_and_the_run_recovers(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    port = free_port()
    upstream = nginx.url.removeprefix("http://")
    out = tmp_path / "r.json.gz"
    fault = {"at": "2s", "for": "2s", "proxy": "web", "latency": "60ms", "name": "slow-web"}
    r = cli(
        "http", f"http://127.0.0.1:{port}/", "-c", "4", "-d", "12s", *QUIET, "--out", str(out),
        "--proxy", f"web=127.0.0.1:{port}->{upstream}", "--fault", json.dumps(fault),
        # The objective recovery is judged on (rather than the baseline, which a busy host makes noisy).
        "-t", "p95 < 50ms",
        "-t", "recovery.max < 30s", "-t", "recovery{fault=slow-web}.count == 1",
    )  # fmt: skip
    assert r.code in (0, 1), r.err  # the run's own p95 may fail on a slow host: the recovery ones must not
    doc = results(out)
    read = read_results(out)  # the file passes the results schema, faults and bands included
    assert read.summary["faults"] == doc["summary"]["faults"]
    assert [row.faults_active for row in read.series] == [row["faults_active"] for row in doc["series"]]
    (f,) = doc["summary"]["faults"]
    assert (f["name"], f["kind"], f["target"]) == ("slow-web", "proxy", "web")
    assert "latency 60ms" in f["detail"]
    assert 1.8 <= f["start_s"] <= 2.6 and 3.8 <= f["end_s"] <= 4.6
    assert f["recovered"] and f["recovery_s"] is not None and f["recovery_s"] < 3.0
    assert f["impact"]["requests"] > 0 and f["impact"]["p99_ms"] >= 60.0
    assert [t["verdict"] for t in doc["summary"]["thresholds"]][1:] == ["PASS", "PASS"]
    rows = doc["series"]
    marked = [row for row in rows if row["faults_active"] == ["slow-web"]]
    assert marked and all(row["t_s"] > 1.9 and row["t_s"] - row["interval_s"] < 4.7 for row in marked)
    # The interval wholly inside the fault is the slow one; the ones before and long after are not.
    inside = [
        row for row in marked if row["t_s"] - row["interval_s"] >= f["start_s"] and row["t_s"] <= f["end_s"]
    ]
    assert inside and all(row["p50_ms"] >= 55.0 for row in inside)
    before = [row for row in rows if row["t_s"] <= f["start_s"] and row["requests"]]
    after = [row for row in rows if row["t_s"] - row["interval_s"] >= f["end_s"] + 1 and row["requests"]]
    assert before and after
    assert all(row["p50_ms"] < 50.0 for row in [*before, *after])
    assert all(not row["faults_active"] for row in [*before, *after])


def test_a_fault_whose_settling_window_cannot_fit_is_not_measurable_not_never(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    out = tmp_path / "r.json.gz"
    r = cli(
        "http", nginx.url + "/", "-c", "2", "-d", "4s", *QUIET, "--out", str(out),
        "--fault", '{"at": "3s", "run": "true", "name": "late"}', "-t", "recovery.max < 30s",
    )  # fmt: skip
    assert r.code == 1, r.err
    summary = results(out)["summary"]
    (f,) = summary["faults"]
    assert f["kind"] == "run" and "exit status 0" in f["detail"]
    # 5 s of settling do not fit after 3 s of 4: not measurable (null), with a warning, not "never".
    assert f["recovered"] is None and "did not fit" in f["recovery_note"]
    assert any("recovery not measurable" in w for w in f["warnings"])
    assert any("'late' ends at 3s at the earliest" in w for w in summary["warnings"])  # said up front
    assert summary["thresholds"][0]["verdict"] == "FAIL"  # nothing measured: no data
    assert summary["thresholds"][0]["actual"] is None


def test_a_run_command_that_fails_is_a_warning(
    cli: Callable[..., CliResult], nginx: Nginx, tmp_path: Path
) -> None:
    out = tmp_path / "r.json.gz"
    r = cli(
        "http", nginx.url + "/", "-c", "1", "-d", "2s", *QUIET, "--out", str(out),
        "--fault", '{"at": "500ms", "run": "echo broken >&2; exit 3"}',
    )  # fmt: skip
    assert r.code == 0, r.err
    summary = results(out)["summary"]
    (f,) = summary["faults"]
    assert f["warnings"][0] == "the command exited with status 3: broken"
    assert "fault 'run-1': the command exited with status 3: broken" in summary["warnings"]

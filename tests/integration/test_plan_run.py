"""`loadpulse plan` end to end against the demo target: three short runs, one verdict and exit code, one
HTML report, JUnit with a testsuite per run, history rows tagged; stop_on_fail; bad input up front."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from loadpulse.store.history import RunStore
from tests.conftest import CliResult

HEALTH_YAML = "scenarios:\n  - name: health\n    requests:\n      - url: /health\n"


def write_plan(folder: Path, body: str) -> Path:
    (folder / "health.yaml").write_text(HEALTH_YAML)
    path = folder / "plan.yaml"
    path.write_text(textwrap.dedent(body).lstrip())
    return path


THREE_RUNS = """
    name: three
    defaults:
      thresholds: ["errors.rate < 50%"]
    runs:
      - name: one-liner
        url: /health
        connections: 2
        duration: 1s
      - name: scenario
        scenario: health.yaml
        vus: 2
        duration: 1s
        thresholds: ["p95 < 5s"]
      - name: impossible
        url: /health
        rate: 20
        duration: 1s
        thresholds: ["p50 < 0.001ms"]
    """


def test_three_runs_give_one_verdict_report_junit_and_tagged_history(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, THREE_RUNS)
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    html, junit, out = tmp_path / "plan.html", tmp_path / "plan.xml", tmp_path / "plan.json"
    r = cli("plan", str(plan), "-u", demo_url, "--no-progress", "--store", store,
            "--html", str(html), "--junit", str(junit), "--json", str(out))  # fmt: skip
    assert r.code == 1, r.err  # the worst run: 'impossible' FAIL, nothing stopped the plan
    table = r.out[r.out.index("plan three") :]
    for name in ("one-liner", "scenario", "impossible"):
        assert name in table
    assert table.count("PASS") == 2 and "plan verdict FAIL (exit 1)" in table

    doc = json.loads(out.read_text())
    assert (doc["plan"], doc["verdict"], doc["exit_code"], doc["ended_by"]) == (
        "three",
        "FAIL",
        1,
        "completed",
    )
    assert [r["verdict"] for r in doc["runs"]] == ["PASS", "PASS", "FAIL"]
    assert all(r["schema"] == "loadpulse.summary/1" and r["requests"]["total"] > 0 for r in doc["runs"])
    assert [r["plan_run"]["name"] for r in doc["runs"]] == ["one-liner", "scenario", "impossible"]
    assert [t["expression"] for t in doc["runs"][1]["thresholds"]] == ["errors.rate < 50%", "p95 < 5s"]

    page = html.read_text()
    assert page.count('<section class="plan-run"') == 3 and page.count("srcdoc=") == 3
    assert '"name": "impossible"' in page.replace('\\"', '"') or "impossible" in page

    suites = ET.fromstring(junit.read_bytes()).findall("testsuite")
    assert [s.get("name") for s in suites] == ["three / one-liner", "three / scenario", "three / impossible"]
    assert [s.get("failures") for s in suites] == ["0", "0", "1"]

    rows = RunStore(store).open().list(tag="plan:three")
    assert sorted(str(row.name) for row in rows) == ["three/impossible", "three/one-liner", "three/scenario"]
    assert {row.run_id for row in rows} == {r["run_id"] for r in doc["runs"]}


def test_a_failing_stop_on_fail_run_stops_the_plan(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(
        tmp_path,
        """
        name: guarded
        runs:
          - name: gate
            url: /health
            requests: 20
            connections: 1
            thresholds: ["p50 < 0.001ms"]
            stop_on_fail: true
          - pause: 1h
          - {name: later, scenario: health.yaml, vus: 1, duration: 1s}
          - {name: last, url: /health, requests: 5}
        """,
    )
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    out, junit = tmp_path / "plan.json", tmp_path / "plan.xml"
    r = cli("plan", str(plan), "-u", demo_url, "--no-progress", "--store", store, "--json", str(out),
            "--junit", str(junit))  # fmt: skip
    assert r.code == 1, r.err
    doc = json.loads(out.read_text())
    assert (doc["verdict"], doc["ended_by"], doc["stopped_by"]) == ("FAIL", "stopped", "gate")
    assert [r["verdict"] for r in doc["runs"]] == ["FAIL", "SKIPPED", "SKIPPED"]
    assert doc["runs"][1]["plan_run"]["reason"] == "skipped: 'gate' failed and has stop_on_fail"
    assert "SKIPPED" in r.out and "stopped after gate" in r.out
    root = ET.fromstring(junit.read_bytes())
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "2")
    assert [row.name for row in RunStore(store).open().list(tag="plan:guarded")] == ["guarded/gate"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "runs:\n  - {url: /health, requests: 5}\n  - url: /health\n    stop_on_fial: true\n",
            "plan.yaml:4: runs[1].stop_on_fial: unknown key; did you mean 'stop_on_fail'?",
        ),
        (
            "runs:\n  - {url: /health, requests: 5}\n  - {scenario: missing.py}\n",
            "plan.yaml:3: runs[1].scenario: file 'missing.py' not found",
        ),
        (
            "runs:\n  - {url: /health, requests: 5}\n  - {scenario: health.yaml, thresholds: ['p95 <']}\n",
            "plan.yaml:3: runs[1] (health): threshold 'p95 <'",
        ),
        (
            "runs:\n  - {url: /health, requests: 5}\n  - {url: /health, name: p, probes: ['q=bogus:x']}\n",
            "plan.yaml:3: runs[1] (p): probes: 'q=bogus:x': unknown probe kind 'bogus'",
        ),
        (
            "runs:\n  - {url: /health, requests: 5}\n"
            "  - {url: /health, name: t, thresholds: ['probe.q.max < 5']}\n",
            "plan.yaml:3: runs[1] (t): threshold 'probe.q.max < 5': no probe is declared",
        ),
        (
            "runs:\n  - {url: /health, requests: 5}\n  - {scenario: health.yaml, sink: ['bogus:x']}\n",
            "plan.yaml:3: runs[1] (health): sink: 'bogus:x': unknown sink kind 'bogus'",
        ),
        ("runs: []\n", "plan.yaml:1: runs: the plan has no runs"),
        ("name: nothing\n", "plan.yaml:1: runs: the plan has no runs"),
    ],
)
def test_bad_input_is_one_line_and_nothing_runs(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path, body: str, message: str
) -> None:
    plan = write_plan(tmp_path, body)
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    r = cli("plan", str(plan), "-u", demo_url, "--store", store, "--json", str(tmp_path / "p.json"))
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"loadpulse: error: {tmp_path}/{message}"), r.err
    assert r.out == "" and not (tmp_path / "p.json").exists()
    assert not (tmp_path / "history.sqlite").exists() or RunStore(store).open().list() == []


def test_check_refuses_a_bad_probe_as_the_run_would(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(
        tmp_path, "runs:\n  - {url: /health, requests: 5}\n  - {url: /health, probes: ['q=bogus:x']}\n"
    )
    r = cli("plan", str(plan), "-u", demo_url, "--check")
    assert r.code == 2 and r.out == ""
    assert "runs[1]" in r.err and "unknown probe kind 'bogus'" in r.err and r.err.count("\n") == 1


def test_a_history_store_that_cannot_be_written_is_found_before_the_first_run(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, "runs:\n  - {url: /health, requests: 5}\n")
    r = cli("plan", str(plan), "-u", demo_url, "--store", f"sqlite:///{tmp_path}/missing/h.sqlite")
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1 and "folder" in r.err and "does not exist" in r.err


def test_each_runs_objects_are_released_when_it_ends(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    # The engine freezes what a run set up (gc.freeze): frozen objects are never collected, so a plan of
    # 500 runs held every run's VUs and clients to its end (523 MB). Nothing stays frozen after a plan.
    plan = write_plan(tmp_path, "runs:\n" + "  - {url: /health, requests: 5, connections: 1}\n" * 3)
    gc.unfreeze()
    r = cli("plan", str(plan), "-u", demo_url, "--no-history", "--no-progress", "-q",
            "--html", str(tmp_path / "p.html"))  # fmt: skip
    assert r.code == 0, r.err
    assert gc.get_freeze_count() == 0
    assert (tmp_path / "p.html").read_text().count("srcdoc=") == 3


def test_check_lists_the_runs_and_runs_nothing(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, THREE_RUNS)
    r = cli("plan", str(plan), "-u", demo_url, "--check")
    assert r.code == 0, r.err
    assert f"1. one-liner: url {demo_url}/health" in r.out and "plan three: 3 runs, checked" in r.out


def test_ctrl_c_in_a_pause_stops_the_plan_with_what_ran_reported(demo_url: str, tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path,
        """
        name: stopped
        runs:
          - {name: first, url: /health, requests: 10, connections: 1}
          - pause: 1h
          - {name: second, url: /health, requests: 10}
        """,
    )
    out = tmp_path / "plan.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "plan", str(plan), "-u", demo_url, "--no-history",
         "--no-progress", "--json", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("plan: pausing"):
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, rest
    doc = json.loads(out.read_text())
    assert (doc["verdict"], doc["ended_by"], doc["exit_code"]) == ("INTERRUPTED", "interrupted", 130)
    assert [r["verdict"] for r in doc["runs"]] == ["NONE", "SKIPPED"]
    assert doc["runs"][1]["plan_run"]["reason"] == "not run: the plan was interrupted"


def test_ctrl_c_stops_a_plan_started_with_sigint_ignored(demo_url: str, tmp_path: Path) -> None:
    # `loadpulse plan p.yaml &` from a script: the shell starts it with SIGINT ignored.
    plan = write_plan(
        tmp_path,
        "runs:\n  - {name: first, url: /health, requests: 5, connections: 1}\n  - pause: 1h\n"
        "  - {name: second, url: /health, requests: 5}\n",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "plan", str(plan), "-u", demo_url, "--no-history",
         "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("plan: pausing"):
            proc.send_signal(signal.SIGINT)
            break
    out, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert "plan verdict INTERRUPTED (exit 130)" in out


def test_ctrl_c_during_a_run_reports_it_as_interrupted_and_skips_the_rest(
    demo_url: str, tmp_path: Path
) -> None:
    plan = write_plan(
        tmp_path,
        """
        name: cut
        runs:
          - {name: long, url: /health, connections: 1, rate: 20, duration: 1h}
          - {name: after, url: /health, requests: 10}
        """,
    )
    out = tmp_path / "plan.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadpulse", "plan", str(plan), "-u", demo_url, "--no-history",
         "--no-progress", "--json", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if "run 1/2: long" in line:
            break
    time.sleep(2)  # into the run, past its start (not a timing assertion: the run lasts an hour)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, rest
    doc = json.loads(out.read_text())
    assert [r["verdict"] for r in doc["runs"]] == ["NONE", "SKIPPED"]
    assert (
        doc["runs"][0]["ended_by"] == "interrupted" and doc["runs"][0]["plan_run"]["status"] == "INTERRUPTED"
    )
    assert doc["runs"][0]["requests"]["total"] > 0
    assert (doc["verdict"], doc["exit_code"]) == ("INTERRUPTED", 130)


def test_a_urls_password_is_in_no_report(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    url = demo_url.replace("http://", "http://user:hunter2@") + "/health"
    plan = write_plan(tmp_path, f"runs:\n  - {{url: '{url}', requests: 5, connections: 1}}\n")
    files = [tmp_path / "p.json", tmp_path / "p.html", tmp_path / "p.xml"]
    r = cli("plan", str(plan), "--no-history", "--json", str(files[0]), "--html", str(files[1]),
            "--junit", str(files[2]))  # fmt: skip
    assert r.code == 0, r.err
    assert "[redacted]" in files[0].read_text()
    for text in (r.out, r.err, *(f.read_text() for f in files)):
        assert "hunter2" not in text


EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "plans").glob("*_*.yaml"))


@pytest.mark.parametrize("plan", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_example_plans_check(cli: Callable[..., CliResult], demo_url: str, plan: Path) -> None:
    r = cli("plan", str(plan), "-u", demo_url, "--check")
    assert r.code == 0, r.err
    assert "runs, checked" in r.out

"""History, show, report and compare from the command line, and a store that fails never losing a run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


def test_runs_are_saved_listed_shown_and_compared(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    url = nginx.url  # type: ignore[attr-defined]
    for tag in ("before", "after"):
        r = cli(
            "http",
            url,
            "-n",
            "2000",
            "-c",
            "4",
            "--quiet",
            "--store",
            store,
            "--run-name",
            "home",
            "--tag",
            tag,
        )
        assert r.code == 0, r.err
    listed = json.loads(cli("history", "--store", store, "--json").out)
    assert [r["tags"] for r in listed] == [["after"], ["before"]]
    assert all(r["name"] == "home" and r["requests"] == 2000 for r in listed)
    assert "home" in cli("history", "--store", store, "--name", "home").out
    shown = cli("show", "tag:before", "--store", store, "--json")
    assert json.loads(shown.out)["run_id"] == listed[1]["run_id"]
    html = tmp_path / "r.html"
    assert cli("report", "last", "--store", store, "--html", str(html)).code == 0
    assert "loadpulse-data" in html.read_text()
    md = tmp_path / "c.md"
    cmp = cli("compare", "tag:before", "last", "--store", store, "--json", "--markdown", str(md))
    assert cmp.code == 0
    deltas = json.loads(cmp.out)["deltas"]
    assert {d["metric"] for d in deltas} >= {"throughput (median req/s)", "latency p95", "error rate"}
    assert "loadpulse compare" in md.read_text()


def test_baseline_after_the_run_and_fail_on_regression(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path
) -> None:
    url = nginx.url  # type: ignore[attr-defined]
    base = tmp_path / "base.json"
    assert cli("http", url, "-n", "3000", "-c", "4", "--quiet", "--no-history", "--out", str(base)).code == 0
    r = cli("http", url, "-n", "3000", "-c", "4", "--no-history", "--baseline", str(base), "--no-progress")
    assert r.code == 0 and "compare" in r.out and "latency p95" in r.out
    # the baseline's run compared with itself: nothing changes
    same = cli("compare", str(base), str(base), "--fail-on-regression", "--json")
    assert same.code == 0
    deltas = json.loads(same.out)["deltas"]
    # a sub-second run has too few steady seconds for a throughput test: it says so instead of 'no change'
    assert {d["verdict"] for d in deltas if not d["metric"].startswith("throughput")} == {
        "no significant change"
    }
    assert {d["verdict"] for d in deltas} <= {"no significant change", "too few samples"}


def test_unknown_run_and_bad_store_are_bad_input(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    r = cli("show", "20991231T000000Z-ffffff", "--store", store)
    assert r.code == 2 and "no run '20991231T000000Z-ffffff'" in r.err and "history is empty" in r.err
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "--store", "postgresql://x:pw@127.0.0.1:9/db")
    assert r.code == 2 and "opening failed" in r.err and "pw" not in r.err
    r = cli("compare", "a", "b", "--min-effect", "lots", "--store", store)
    assert r.code == 2 and "--min-effect 'lots'" in r.err


def test_a_failing_store_never_loses_the_run(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loadpulse.errors import BadInput
    from loadpulse.store.history import RunStore

    path = tmp_path / "h.sqlite"
    out, js = tmp_path / "r.json.gz", tmp_path / "s.json"
    # A read-only store is refused before the load now (issue 10, item 18): nothing runs, nothing written.
    assert cli("history", "--store", f"sqlite:///{path}").code == 0  # creates the schema
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    r = cli("http", nginx.url, "-n", "500", "--store", read_only, "--json", str(js))  # type: ignore[attr-defined]
    assert r.code == 2 and "readonly database" in r.err and not js.exists() and r.out == ""

    # A store that fails only when the row is saved (the disk filled during the run) loses nothing else.
    def disk_full(*args: object) -> None:
        raise BadInput(f"history store sqlite:///{path}: saving the run failed: database or disk is full")

    monkeypatch.setattr(RunStore, "save", disk_full)
    r = cli(
        "http", nginx.url, "-n", "500", "-c", "2", "--no-progress",  # type: ignore[attr-defined]
        "--store", f"sqlite:///{path}", "--out", str(out), "--json", str(js),
    )  # fmt: skip
    assert r.code == 2
    assert "disk is full" in r.err and "the run's files and summary were written" in r.err
    assert json.loads(js.read_text())["requests"]["total"] == 500
    assert out.exists() and "requests" in r.out  # the console summary was printed too


def test_a_locked_store_is_found_before_the_run(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    assert cli("history", "--store", f"sqlite:///{path}").code == 0
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the database
    try:
        r = cli("http", "http://127.0.0.1:9/", "-n", "1", "--store", f"sqlite:///{path}")
    finally:
        holder.rollback()
        holder.close()
    assert r.code == 2 and "database is locked" in r.err and "requests" not in r.out


def test_secret_values_never_reach_an_output(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path
) -> None:
    secret = "s3cr3t-t0ken"
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    files = {name: tmp_path / name for name in ("s.json", "r.json", "r.html", "r.csv")}
    r = cli(
        "http", f"{nginx.url}/?token={secret}", "-n", "200", "-c", "2", "--no-progress",  # type: ignore[attr-defined]
        "-H", f"X-Token: {secret}", "-H", "Authorization: Bearer other", "--secret", secret, "--store", store,
        "--json", str(files["s.json"]), "--out", str(files["r.json"]), "--html", str(files["r.html"]),
        "--csv", str(files["r.csv"]),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert secret not in r.out + r.err
    for path in files.values():
        text = path.read_text()
        assert secret not in text and "Bearer other" not in text, path.name
    assert "[redacted]" in files["s.json"].read_text()
    shown = cli("show", "last", "--store", store, "--json")
    assert secret not in shown.out and "[redacted]" in shown.out

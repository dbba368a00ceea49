"""Seed 004's example end to end at smoke scale: its own target (API -> Redis -> workers -> PostgreSQL,
started by its launcher) against the suite's real PostgreSQL and Redis, its scenario's pipeline verdict
with data, and nothing of the target left running afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from tests.conftest import CliResult
from tests.ports import free_port

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "004_message_ingestor"
LAUNCHER = EXAMPLE / "target.py"
STOP_WAIT_S = 20.0


@pytest.fixture
def ingestor_env(postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A database of its own on the suite's PostgreSQL, a Redis database of its own on the suite's Redis,
    given to the launcher and the scenario the way a user would: INGESTOR_* variables."""
    name = f"ingestor_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    queue = redis_url.rsplit("/", 1)[0] + "/4"
    monkeypatch.setenv("INGESTOR_DATABASE_URL", database)
    monkeypatch.setenv("INGESTOR_REDIS_URL", queue)
    return database, queue


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@contextmanager
def ingestor(*options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The example's target started by its own launcher; SIGTERM at the end (unless the test stopped it)."""
    port = free_port()
    # A file, not a pipe: nobody reads the target's output while it runs, and a full pipe would block it.
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--port", str(port), "--reset", *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    log.seek(0)
                    pytest.fail(f"the example target did not start ({proc.returncode}): {log.read()[-2000:]}")
                time.sleep(0.1)
            yield url, proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(STOP_WAIT_S)


def _run(cli: Callable[..., CliResult], url: str, *options: str) -> dict[str, Any]:
    r = cli("run", str(EXAMPLE / "quick.py"), "-u", url, "--json", "-", "--quiet", "--no-history", *options)
    assert r.code in (0, 1), r.err  # 1: a timing target missed on a busy machine; never bad input
    return r.summary()


def test_quick_at_smoke_scale_delivers_every_message_once(
    cli: Callable[..., CliResult], ingestor_env: tuple[str, str]
) -> None:
    database, _ = ingestor_env
    with ingestor("--workers", "2") as (url, proc):
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) == 3  # the API and two workers
        s = _run(cli, url, "--iterations", "300", "--vus", "10")
        p = s["pipeline"]
        assert p["sent"] == 300 and p["rejected"] == 0
        assert (p["delivered"], p["lost"]["count"], p["duplicates"]["count"]) == (300, 0, 0)
        assert p["unexpected"]["count"] == 0 and p["drained"] is True
        # e2e is send -> the row's commit time (the sink's 'at'), for every message
        assert p["e2e_basis"]["persist_time"] == 300 and p["e2e_basis"]["first_seen"] == 0
        assert p["e2e_ms"]["p95"] is not None and p["e2e_ms"]["p95"] > 0
        assert set(p["by_worker"]) <= {"worker-1", "worker-2"} and sum(p["by_worker"].values()) == 300
        verdicts = {t["metric"]: t for t in s["thresholds"]}
        for metric in ("pipeline.lost.count", "pipeline.duplicates.count", "probe.queue_depth.last"):
            assert verdicts[metric]["verdict"] == "PASS", verdicts[metric]
        assert all(t["actual"] is not None for t in s["thresholds"]), s["thresholds"]
        assert s["probes"]["queue_depth"]["last"] == 0
        # the guide's distribution by channel: a group probe over this run's rows, read after the drain
        by_channel = s["probes"]["per_channel"]["by_group"]
        assert sum(by_channel.values()) == 300 and all(1 <= int(c) <= 100 for c in by_channel)
        assert s["probes"]["per_channel.imbalance"]["last"] > 0

        with psycopg.connect(database) as db:
            users, channels, contents = db.execute(
                "SELECT array_agg(DISTINCT user_id), array_agg(DISTINCT channel_id), count(DISTINCT content) "
                "FROM messages"
            ).fetchone() or ([], [], 0)
        assert contents == 300  # the unique suffix: no two messages alike
        assert all(1 <= u <= 10_000 for u in users) and len(users) > 250
        assert all(1 <= c <= 100 for c in channels) and len(channels) > 50

        # A second run against the same table reads only its own rows: the first run's are not unexpected.
        again = _run(cli, url, "--iterations", "50", "--vus", "5")["pipeline"]
        assert (again["sent"], again["delivered"], again["unexpected"]["count"], again["lost"]["count"]) == (
            50,
            50,
            0,
            0,
        )

        # Workers that stall: the same check says so (the verdict is not vacuous).
        workers = [c for c in children if "ingestor_worker.py" in " ".join(c.cmdline())]
        assert len(workers) == 2
        for w in workers:
            w.send_signal(signal.SIGSTOP)
        try:
            stalled = _run(cli, url, "--iterations", "20", "--vus", "2", "--drain-timeout", "1s")
        finally:
            for w in workers:
                w.send_signal(signal.SIGCONT)
        p = stalled["pipeline"]
        assert (p["sent"], p["delivered"], p["lost"]["count"], p["drained"]) == (20, 0, 20, False)
        assert {t["metric"]: t["verdict"] for t in stalled["thresholds"]}["pipeline.lost.count"] == "FAIL"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_WAIT_S) == 0
    _gone, alive = psutil.wait_procs(children, timeout=STOP_WAIT_S)
    assert not alive, alive


def test_a_killed_launcher_leaves_no_process_behind(ingestor_env: tuple[str, str]) -> None:
    with ingestor() as (_, proc):
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) == 2
        proc.kill()  # no chance to stop its children: they notice and stop themselves
        proc.wait()
        _gone, alive = psutil.wait_procs(children, timeout=STOP_WAIT_S)
        assert not alive, alive


def test_an_unreachable_database_is_one_line_and_exit_2(redis_url: str) -> None:
    r = subprocess.run(
        [sys.executable, str(LAUNCHER), "--port", str(free_port()), "--redis-url", redis_url,
         "--database-url", f"postgresql://nobody@127.0.0.1:{free_port()}/none"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "PostgreSQL" in r.stderr

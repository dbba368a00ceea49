"""Probes against real targets on the run's timeline: the demo target, SQLite, PostgreSQL, Redis, files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from tests.conftest import CliResult


def test_http_process_and_file_probes_with_thresholds(
    cli: Callable[..., CliResult], demo_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "grows.db"
    db.write_bytes(b"x" * 1000)
    grow = threading.Timer(1.5, lambda: db.write_bytes(b"x" * 5000))
    grow.start()
    csv_path = tmp_path / "series.csv"
    r = cli(
        "http", f"{demo_url}/api/messages", "--json-body", '{"content": "p"}', "-d", "3s", "-c", "4",
        "--no-history", "--json", "-", "--quiet", "--csv", str(csv_path),
        "--probe", f"queue=http:{demo_url}/health#$.queue_length",
        "--probe", "target=process:loadpulse target demo",
        "--probe", f"db=file:{db}",
        "-t", "probe.queue.max < 1000000", "-t", "probe.db.growth > 100%", "-t", "probe.target.rss.max < 1",
    )  # fmt: skip
    grow.cancel()
    assert r.out, r.err
    s = r.summary()
    probes = s["probes"]
    assert probes["queue"]["samples"] >= 3 and probes["queue"]["min"] >= 0
    assert probes["db"]["first"] == 1000 and probes["db"]["last"] == 5000 and probes["db"]["growth"] == 4.0
    assert probes["target.rss"]["min"] > 5 and probes["target.threads"]["min"] >= 1  # the demo target, MiB
    verdicts = [t["verdict"] for t in s["thresholds"]]
    assert verdicts == ["PASS", "PASS", "FAIL"] and r.code == 1
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert "probe.queue" in rows[0] and "probe.target.cpu" in rows[0]


def test_sql_probes_on_sqlite_and_postgres(cli: Callable[..., CliResult], nginx: object, tmp_path: Path,
                                           postgres_url: str) -> None:  # fmt: skip
    jobs = tmp_path / "jobs.db"
    con = sqlite3.connect(jobs)
    con.execute("CREATE TABLE jobs (status TEXT)")
    con.executemany("INSERT INTO jobs VALUES (?)", [("RUNNING",)] * 3 + [("DONE",)] * 5)
    con.commit()
    con.close()
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS queue; CREATE TABLE queue (id int)"))
        conn.execute(text("INSERT INTO queue SELECT generate_series(1, 42)"))
    engine.dispose()
    r = cli(
        "http", nginx.url, "-d", "2s", "-c", "2", "--no-history", "--json", "-", "--quiet",  # type: ignore[attr-defined]
        "--probe", f"stuck=sql:sqlite:///{jobs}#SELECT count(*) FROM jobs WHERE status='RUNNING'",
        "--probe", f"backlog=sql:{postgres_url}#SELECT count(*) FROM queue",
    )  # fmt: skip
    probes = r.summary()["probes"]
    assert probes["stuck"]["max"] == 3 and probes["backlog"]["last"] == 42


def test_redis_probe_follows_a_list(cli: Callable[..., CliResult], nginx: object, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("pending_messages")
    client.rpush("pending_messages", *range(7))
    pusher = threading.Timer(1.2, lambda: client.rpush("pending_messages", *range(5)))
    pusher.start()
    try:
        r = cli(
            "http", nginx.url, "-d", "3s", "-c", "2", "--no-history", "--json", "-", "--quiet",  # type: ignore[attr-defined]
            "--probe", f"pending=redis:{redis_url}#LLEN pending_messages",
            "-t", "probe.pending.max < 100",
        )  # fmt: skip
    finally:
        pusher.cancel()
    p = r.summary()["probes"]["pending"]
    assert p["first"] == 7 and p["last"] == 12 and r.code == 0
    client.close()


def test_a_probe_failing_mid_run_is_a_warning_and_a_gap(
    cli: Callable[..., CliResult], nginx: object, tmp_path: Path
) -> None:
    f = tmp_path / "vanishing"
    f.write_text("abc")
    threading.Timer(1.2, f.unlink).start()
    csv_path, js = tmp_path / "s.csv", tmp_path / "s.json"
    r = cli(
        "http", nginx.url, "-d", "4s", "-c", "2", "--no-history", "--no-progress",  # type: ignore[attr-defined]
        "--probe", f"gone=file:{f}", "--csv", str(csv_path), "--json", str(js),
    )  # fmt: skip
    assert r.code == 0
    assert r.err.count("probe 'gone' failed") == 1  # reported once, not every second
    s = json.loads(js.read_text())
    assert s["ended_by"] == "duration" and 1 <= s["probes"]["gone"]["samples"] <= 3
    cells = [row["probe.gone"] for row in csv.DictReader(io.StringIO(csv_path.read_text()))]
    assert "" in cells and "3.0" in cells  # values, then gaps


def test_callable_probe_in_a_scenario(cli: Callable[..., CliResult], demo_url: str, tmp_path: Path) -> None:
    scenario = tmp_path / "s.py"
    scenario.write_text(
        textwrap.dedent(
            f"""
            import itertools
            from loadpulse import task

            profile = {{"profile": "constant-vus", "vus": 2, "duration": "2s"}}
            counter = itertools.count(10)
            probes = {{"ticks": lambda: next(counter), "queue": "http:{demo_url}/health#$.queue_length"}}

            @task
            async def t(ctx):
                await ctx.http.get("/health")
            """
        )
    )
    r = cli("run", str(scenario), "-u", demo_url, "--no-history", "--json", "-", "--quiet")
    probes = r.summary()["probes"]
    assert probes["ticks"]["first"] >= 10 and probes["ticks"]["last"] > probes["ticks"]["first"]
    assert "queue" in probes


def test_redis_key_set_only_during_the_run_starts_as_a_gap(
    cli: Callable[..., CliResult], nginx: object, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("jobs_done")
    setter = threading.Timer(1.2, lambda: client.set("jobs_done", 42))
    setter.start()
    try:
        r = cli(
            "http", nginx.url, "-d", "3s", "-c", "2", "--no-history", "--json", "-", "--no-progress",  # type: ignore[attr-defined]
            "--probe", f"done=redis:{redis_url}#GET jobs_done",
            "--probe", f"mem=redis:{redis_url}#INFO memory#used_memory",
        )  # fmt: skip
    finally:
        setter.cancel()
        client.delete("jobs_done")
        client.close()
    assert r.code == 0, r.err
    assert "probe 'done' has no value yet" in r.err
    probes = r.summary()["probes"]
    assert probes["done"]["last"] == 42 and probes["done"]["samples"] >= 1
    assert probes["mem"]["min"] > 0  # INFO memory#used_memory: bytes used by the redis server


def test_redis_info_field_typo_is_one_short_line(cli: Callable[..., CliResult], redis_url: str) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "--no-history",
            "--probe", f"mem=redis:{redis_url}#INFO memory#used_memry")  # fmt: skip
    assert r.code == 2 and "did you mean 'used_memory'" in r.err, r.err
    assert len(r.err.strip()) < 400  # not INFO's 30 KB reply

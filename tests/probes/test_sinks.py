"""SQL (real SQLite and PostgreSQL), HTTP and callable sinks: incremental and re-read polling, bad input
before the load, failures during it."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from loadpulse.errors import BadInput
from loadpulse.probes.sink_spec import parse_sink
from loadpulse.probes.sinks import Sink, SinkError, SinkRow, open_sink
from tests.ports import free_port


def opened(spec: Any) -> Sink:
    sink = open_sink(parse_sink(spec))
    sink.check()
    return sink


def bad_input(spec: Any) -> str:
    with pytest.raises(BadInput) as caught:
        sink = open_sink(parse_sink(spec))
        try:
            sink.check()
        finally:
            sink.close()
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture
def jobs_db(tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE jobs (job_id TEXT, done_at REAL, worker TEXT, status TEXT)")
    yield f"sqlite:///{path}", conn
    conn.close()


def test_sqlite_since_reads_on_from_the_largest_at(jobs_db: tuple[str, sqlite3.Connection]) -> None:
    url, db = jobs_db
    sink = opened(
        f"sql:{url}#SELECT job_id AS id, done_at AS at, worker, status FROM jobs WHERE done_at >= :since"
    )
    assert sink.poll() == []
    db.executemany(
        "INSERT INTO jobs VALUES (?, ?, ?, ?)", [("a", 10.0, "w1", "done"), ("b", 20.0, "w2", "done")]
    )
    assert sink.poll() == [SinkRow("a", 10.0, "w1", "done"), SinkRow("b", 20.0, "w2", "done")]
    assert sink.poll() == []  # b is read again (at >= 20) and not reported twice
    db.execute("INSERT INTO jobs VALUES ('c', 20.0, 'w1', 'done')")  # committed late, same at as b
    db.execute("INSERT INTO jobs VALUES ('a', 30.0, 'w2', 'done')")  # a stored a second time
    db.execute("INSERT INTO jobs VALUES ('old', 5.0, 'w1', 'done')")  # behind the bound: never asked for
    assert sink.poll() == [SinkRow("c", 20.0, "w1", "done"), SinkRow("a", 30.0, "w2", "done")]
    assert sink.poll() == []
    sink.close()


def test_sqlite_since_with_text_timestamps(jobs_db: tuple[str, sqlite3.Connection]) -> None:
    url, db = jobs_db
    db.execute("CREATE TABLE done (id INTEGER, at TEXT DEFAULT CURRENT_TIMESTAMP)")
    sink = opened(f"sql:{url}#SELECT id, at FROM done WHERE at >= :since;")
    db.execute("INSERT INTO done VALUES (1, '2026-11-23 10:00:00'), (2, '2026-11-23 10:00:01')")
    assert sink.poll() == [SinkRow("1", "2026-11-23 10:00:00"), SinkRow("2", "2026-11-23 10:00:01")]
    db.execute("INSERT INTO done VALUES (3, '2026-11-23 10:00:02')")
    assert sink.poll() == [SinkRow("3", "2026-11-23 10:00:02")]
    sink.close()


def test_sqlite_full_re_read_reports_new_rows_duplicates_and_status_changes(
    jobs_db: tuple[str, sqlite3.Connection],
) -> None:
    url, db = jobs_db
    sink = opened(f"sql:{url}#SELECT job_id AS ID, worker, status FROM jobs")
    db.execute("INSERT INTO jobs VALUES ('a', NULL, 'w1', 'running'), ('b', NULL, 'w2', 'done')")
    assert sink.poll() == [SinkRow("a", None, "w1", "running"), SinkRow("b", None, "w2", "done")]
    assert sink.poll() == []
    db.execute("UPDATE jobs SET status = 'done' WHERE job_id = 'a'")
    db.execute("INSERT INTO jobs VALUES ('b', NULL, 'w2', 'done')")  # an identical second row: a duplicate
    assert sink.poll() == [SinkRow("a", None, "w1", "done"), SinkRow("b", None, "w2", "done")]
    assert sink.poll() == []
    db.execute("INSERT INTO jobs VALUES (NULL, NULL, 'w3', 'done')")
    assert (
        sink.poll() == []
        and sink.skipped == 1
        and sink.first_problem == "an entry has no 'id' (its fields: id, worker, status)"
    )
    sink.close()


def test_sql_bad_input_before_the_load(jobs_db: tuple[str, sqlite3.Connection], postgres_url: str) -> None:
    url, _ = jobs_db
    assert bad_input(f"sql:{url}#SELECT job_id, worker FROM jobs").endswith(
        "the query returns no 'id' column (it returns job_id, worker); name the item's id column, "
        "like SELECT job_id AS id, finished_at AS at FROM jobs"
    )
    assert "a query with :since needs an 'at' column" in bad_input(
        f"sql:{url}#SELECT job_id AS id FROM jobs WHERE done_at > :since"
    )
    assert "parameter(s) :run that loadpulse cannot fill; only :since" in bad_input(
        f"sql:{url}#SELECT job_id AS id FROM jobs WHERE worker = :run"
    )
    assert bad_input(f"sql:{url}#SELECT id FROM nowhere").startswith(
        f"--sink 'sql:{url}#SELECT id FROM nowhere' does not answer: {url}: no such table: nowhere"
    )
    nobody = f"postgresql://app:pw123@127.0.0.1:{free_port()}/loadpulse"
    message = bad_input(f"sql:{nobody}#SELECT id FROM jobs")
    assert "does not answer" in message and "pw123" not in message


def test_sql_poll_failing_mid_run_is_a_sink_error(jobs_db: tuple[str, sqlite3.Connection]) -> None:
    url, db = jobs_db
    sink = opened(f"sql:{url}#SELECT job_id AS id FROM jobs")
    db.execute("INSERT INTO jobs (job_id) VALUES ('a')")
    assert sink.poll() == [SinkRow("a")]
    db.execute("ALTER TABLE jobs RENAME TO gone")
    with pytest.raises(SinkError, match="no such table: jobs"):
        sink.poll()
    db.execute("ALTER TABLE gone RENAME TO jobs")
    db.execute("INSERT INTO jobs (job_id) VALUES ('b')")
    assert sink.poll() == [SinkRow("b")]  # it answers again: polling goes on
    sink.close()


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, sa.Connection, str]]:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    table = f"jobs_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(
            sa.text(f"CREATE TABLE {table} (id serial, done_at timestamptz, worker int, status text)")
        )
        yield postgres_url, conn, table
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def test_postgres_since_with_a_timestamp_column(pg: tuple[str, sa.Connection, str]) -> None:
    url, conn, table = pg
    sink = opened(f"sql:{url}#SELECT id, done_at AS at, worker, status FROM {table} WHERE done_at >= :since")
    t1, t2 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC), datetime(2026, 11, 23, 10, 1, tzinfo=UTC)
    insert = sa.text(f"INSERT INTO {table} (done_at, worker, status) VALUES (:at, :w, 'done')")
    conn.execute(insert, [{"at": t1, "w": 1}, {"at": t2, "w": 2}])
    assert sink.poll() == [SinkRow("1", t1, "1", "done"), SinkRow("2", t2, "2", "done")]
    conn.execute(insert, [{"at": t2, "w": 3}])
    assert sink.poll() == [SinkRow("3", t2, "3", "done")]
    assert sink.poll() == []
    sink.close()


def test_postgres_epoch_seconds_and_a_dropped_table(pg: tuple[str, sa.Connection, str]) -> None:
    url, conn, table = pg
    epoch = "extract(epoch FROM done_at)"
    query = f"SELECT id, {epoch} AS at FROM {table} WHERE {epoch} > :since"
    sink = opened(f"sql:{url}#{query}")
    conn.execute(sa.text(f"INSERT INTO {table} (done_at) VALUES ('2026-11-23T10:00:00.5Z')"))
    assert sink.poll() == [SinkRow("1", 1795428000.5)]
    conn.execute(sa.text(f"DROP TABLE {table}"))
    with pytest.raises(SinkError) as caught:
        sink.poll()
    assert f'relation "{table}" does not exist' in str(caught.value) and "\n" not in str(caught.value)
    sink.close()


class _JsonHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(self.server.doc).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def json_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    server.doc = {"items": []}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_sink_re_reads_ids_and_objects(json_server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{json_server.server_address[1]}/jobs"
    sink = opened(f"http:{url}#$.items")
    assert sink.poll() == []
    json_server.doc = {"items": ["a", 7, {"id": "b", "worker": "w1", "at": 1700000000}]}  # type: ignore[attr-defined]
    assert sink.poll() == [SinkRow("a"), SinkRow("7"), SinkRow("b", 1700000000.0, "w1")]
    json_server.doc["items"] += ["a", {"id": "c"}]  # type: ignore[attr-defined]
    assert sink.poll() == [SinkRow("a"), SinkRow("c")]  # a listed twice now: a duplicate
    assert sink.poll() == []
    json_server.doc = {"total": 3}  # type: ignore[attr-defined]
    with pytest.raises(SinkError, match=r"^\$\.items: no 'items' in the response JSON$"):
        sink.poll()
    json_server.shutdown()
    json_server.server_close()
    with pytest.raises(SinkError, match=r"^http://127\.0\.0\.1:\d+/jobs: .*refused"):
        sink.poll()
    sink.close()


def test_http_sink_bad_input(json_server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{json_server.server_address[1]}/jobs"
    message = bad_input(f"http:{url}#$.jobs")
    assert message.endswith("does not answer: $.jobs: no 'jobs' in the response JSON")
    json_server.doc = {"items": {"a": 1}}  # type: ignore[attr-defined]
    assert bad_input(f"http:{url}#$.items").endswith(
        "$.items is dict in the response, not a list of ids or items"
    )
    nobody = f"http://127.0.0.1:{free_port()}/jobs?token=t0ps3cret"
    message = bad_input(f"http:{nobody}#$")
    assert "does not answer" in message and "t0ps3cret" not in message


def test_callable_sink_is_de_duplicated_and_fails_softly() -> None:
    stored: list[Any] = []

    def done() -> list[Any]:
        if stored and stored[-1] == "boom":
            raise ConnectionError("queue went away")
        return list(stored)

    sink = opened(done)
    stored += ["a", {"id": 2, "worker": "w1"}]
    assert sink.poll() == [SinkRow("a"), SinkRow("2", None, "w1")]
    stored.append("b")
    assert sink.poll() == [SinkRow("b")]
    stored.append("boom")
    with pytest.raises(SinkError, match=r"^ConnectionError: queue went away$"):
        sink.poll()


def test_callable_sink_bad_input() -> None:
    def counts() -> dict[str, int]:
        return {"a": 1}

    def broken() -> list[str]:
        raise RuntimeError("no database configured")

    assert bad_input(counts).endswith(
        "counts() fails: it returned dict; return an iterable of ids or mappings with an 'id'"
    )
    assert bad_input(broken).endswith("broken() fails: RuntimeError: no database configured")


def test_postgres_poll_without_check_picks_the_first_bound_itself(pg: tuple[str, sa.Connection, str]) -> None:
    url, conn, table = pg
    sink = open_sink(parse_sink(f"sql:{url}#SELECT id, done_at AS at FROM {table} WHERE done_at >= :since"))
    conn.execute(sa.text(f"INSERT INTO {table} (done_at) VALUES ('2026-11-23T10:00:00Z')"))
    assert [r.id for r in sink.poll()] == ["1"]
    sink.close()


def test_sqlite_since_reads_rows_committed_late_and_survives_a_future_at(
    jobs_db: tuple[str, sqlite3.Connection],
) -> None:
    """Writers stamp ``at`` before they commit: a row stamped earlier than one already read can become
    visible later and must still be read; an ``at`` in the future must not hide what is stored meanwhile."""
    import time

    url, db = jobs_db
    sink = opened(f"sql:{url}#SELECT job_id AS id, done_at AS at FROM jobs WHERE done_at >= :since")
    now = time.time()
    db.execute("INSERT INTO jobs VALUES ('b', ?, 'w', 'done')", (now,))
    assert [r.id for r in sink.poll()] == ["b"]
    db.execute("INSERT INTO jobs VALUES ('a', ?, 'w', 'done')", (now - 0.5,))  # stamped before b
    assert [r.id for r in sink.poll()] == ["a"]
    db.execute("INSERT INTO jobs VALUES ('future', ?, 'w', 'done')", (now + 3600,))  # a skewed clock
    assert [r.id for r in sink.poll()] == ["future"]
    db.execute("INSERT INTO jobs VALUES ('c', ?, 'w', 'done')", (time.time(),))
    assert [r.id for r in sink.poll()] == ["c"]
    assert sink.poll() == []  # the window's rows are read again, never reported twice
    sink.close()


def test_sqlite_text_since_reads_a_late_commit(jobs_db: tuple[str, sqlite3.Connection]) -> None:
    """The 2 s look-back works on ISO text too (written back in the column's style), so a row stamped a
    second before one already read is still found."""
    url, db = jobs_db
    db.execute("CREATE TABLE done (id INTEGER, at TEXT)")
    sink = opened(f"sql:{url}#SELECT id, at FROM done WHERE at >= :since;")
    db.execute("INSERT INTO done VALUES (2, '2026-11-23 10:00:05')")
    assert [r.id for r in sink.poll()] == ["2"]
    db.execute("INSERT INTO done VALUES (1, '2026-11-23 10:00:04')")  # committed late
    assert [r.id for r in sink.poll()] == ["1"]
    assert sink.poll() == []
    sink.close()

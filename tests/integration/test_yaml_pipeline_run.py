"""YAML flows check their pipeline: ``track:`` items against a real SQLite sink behind a loopback ingest
service that loses and duplicates items by construction (so every count is known)."""

from __future__ import annotations

import json
import sqlite3
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult

LOST_NTH = 3
"""The ingest service answers 202 to its 3rd item but never stores it..."""
DOUBLED_NTH = 5
"""...and stores its 5th twice."""


@dataclass(frozen=True)
class Ingest:
    url: str
    db: Path

    @property
    def sink(self) -> str:
        return f"sql:sqlite:///{self.db}#SELECT id, at FROM items WHERE at >= :since"

    def stored(self) -> list[str]:
        with sqlite3.connect(self.db) as conn:
            return [row[0] for row in conn.execute("SELECT id FROM items")]


def _handler(db: Path) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()
    received = [0]

    class Handler(BaseHTTPRequestHandler):
        """POST /items (id in the JSON body, the X-Item header or the path /items/ID) -> 202 {}; POST
        /assign -> 202 {"id": n}, n chosen here. Either way the item goes into SQLite, the LOST_NTH not
        at all and the DOUBLED_NTH twice. POST /full -> 503, nothing stored."""

        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/full":  # refuses everything: what was tracked for it is rejected
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with lock:
                received[0] += 1
                n = received[0]
                if self.path == "/assign":
                    item, answer = str(1000 + n), {"id": 1000 + n}
                else:
                    item = _item_of(self.path, self.headers.get("X-Item"), raw)
                    answer = {}
                copies = 0 if n == LOST_NTH else 2 if n == DOUBLED_NTH else 1
                with sqlite3.connect(db) as conn:
                    conn.executemany("INSERT INTO items VALUES (?, ?)", [(item, time.time())] * copies)
            body = json.dumps(answer).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _item_of(path: str, header: str | None, raw: bytes) -> str:
    if raw:
        return str(json.loads(raw)["id"])
    if header:
        return header
    return path.rsplit("/", 1)[-1]


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    db = tmp_path / "items.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id TEXT, at REAL)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(db))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Ingest(f"http://127.0.0.1:{server.server_address[1]}", db)
    finally:
        server.shutdown()
        server.server_close()


def assert_known_counts(pipeline: dict[str, Any], stored: list[str], sent: int = 10) -> None:
    """LOST_NTH never stored, DOUBLED_NTH stored twice: the rest delivered once."""
    assert pipeline["sent"] == sent and pipeline["rejected"] == 0
    assert pipeline["delivered"] == sent - 1
    assert pipeline["lost"]["count"] == 1 and len(pipeline["lost_ids"]) == 1
    assert pipeline["lost_ids"][0] not in stored
    assert pipeline["duplicates"]["count"] == 1
    assert pipeline["unexpected"]["count"] == 0


FRESH_IDS = """
base_url: {url}
profile: {{profile: per-vu-iterations, vus: 2, iterations: 5}}
pipeline:
  sink: "{sink}"
  drain_timeout: 1s
scenarios:
  - requests:
      - method: POST
        url: /items
        name: create
        track: order
        json: {{id: "{{{{ order }}}}", note: "from VU {{{{ vu }}}}"}}
        check: {{status: 202}}
"""

SYSTEM_IDS = """
base_url: {url}
profile: {{profile: per-vu-iterations, vus: 2, iterations: 5}}
pipeline: {{sinks: ["{sink}"], drain_timeout: 1s}}
scenarios:
  - requests:
      - method: POST
        url: /assign
        json: {{content: hi}}
        track: {{from: $.id}}
"""


def _run(cli: Callable[..., CliResult], path: Path, *args: str) -> dict[str, Any]:
    r = cli("run", str(path), "--no-history", "--quiet", "--json", "-", *args)
    assert r.code == 0, r.err
    pipeline: dict[str, Any] = r.summary()["pipeline"]
    return pipeline


def test_fresh_ids_are_sent_in_the_request_and_found_in_the_sink(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    path = tmp_path / "fresh.yaml"
    path.write_text(textwrap.dedent(FRESH_IDS.format(url=ingest.url, sink=ingest.sink)))
    pipeline = _run(cli, path)
    stored = ingest.stored()
    assert_known_counts(pipeline, stored)
    assert len(stored) == 10 and len(set(stored)) == 9  # 9 distinct ids, one of them twice


def test_ids_the_system_assigns_are_read_from_the_response(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    path = tmp_path / "assigned.yaml"
    path.write_text(textwrap.dedent(SYSTEM_IDS.format(url=ingest.url, sink=ingest.sink)))
    pipeline = _run(cli, path)
    assert_known_counts(pipeline, ingest.stored())
    assert pipeline["lost_ids"] == [str(1000 + LOST_NTH)]


def test_the_sink_can_come_from_the_command_line(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    text = FRESH_IDS.format(url=ingest.url, sink=ingest.sink)
    head, _, flow = text.partition("scenarios:")
    path = tmp_path / "cli_sink.yaml"
    path.write_text(textwrap.dedent(head.split("pipeline:")[0] + "scenarios:" + flow))
    pipeline = _run(cli, path, "--sink", ingest.sink, "--drain-timeout", "1s")
    assert_known_counts(pipeline, ingest.stored())


def test_track_without_any_sink_is_bad_input_before_the_load(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    text = FRESH_IDS.format(url=ingest.url, sink=ingest.sink)
    path = tmp_path / "nosink.yaml"
    path.write_text(textwrap.dedent(text.replace(f'  sink: "{ingest.sink}"\n  drain_timeout: 1s\n', "")
                                    .replace("pipeline:\n", "")))  # fmt: skip
    r = cli("run", str(path), "--no-history", "--quiet", "--json", "-")
    assert r.code == 2 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert f"{path}:" in r.err and "track: needs somewhere to look" in r.err and "--sink" in r.err
    assert ingest.stored() == []  # nothing was sent


def test_items_of_failed_requests_are_rejected_not_sent(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    text = FRESH_IDS.format(url=ingest.url, sink=ingest.sink).replace("url: /items", "url: /full")
    path = tmp_path / "full.yaml"
    path.write_text(textwrap.dedent(text))
    pipeline = _run(cli, path)
    assert (pipeline["sent"], pipeline["rejected"], pipeline["lost"]["count"]) == (0, 10, 0)


def test_an_accepted_response_without_the_id_is_a_script_error_named_by_its_path(
    cli: Callable[..., CliResult], tmp_path: Path, ingest: Ingest
) -> None:
    text = SYSTEM_IDS.format(url=ingest.url, sink=ingest.sink).replace("url: /assign", "url: /items")
    path = tmp_path / "noid.yaml"
    path.write_text(textwrap.dedent(text).replace("{content: hi}", "{id: x}"))
    r = cli("run", str(path), "--no-history", "--quiet", "--json", "-")
    assert r.code == 0, r.err
    summary = r.summary()
    assert summary["pipeline"]["sent"] == 0
    errors = summary["scenarios"]["default"]["script_error_messages"]
    assert list(errors) == ["scenarios[0].requests[0].track.from: $.id not found in the response"]


def test_a_bad_sink_in_the_file_is_named_by_its_line(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    path = tmp_path / "badsink.yaml"
    path.write_text(
        "base_url: http://127.0.0.1:9\n"
        "pipeline:\n"
        "  sink: 'kafka:topic'\n"
        "scenarios:\n"
        "  - requests:\n"
        "      - {method: POST, url: /items, track: job, json: {id: '{{ job }}'}}\n"
    )
    r = cli("run", str(path), "--no-history", "--quiet")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert f"{path}:2: pipeline.sink 'kafka:topic': unknown sink kind 'kafka'" in r.err, r.err

"""Credentials are sent where they belong and never reach an output (issue 10, item 15).

One run carries a URL password, a secret query parameter, an ``X-Auth-Token`` and an
``X-Session-Token`` header; every output of it (console, JSON, results file, HTML, CSV, JUnit, Markdown,
the history row, ``history`` and ``show``) is searched for each secret value.
"""

from __future__ import annotations

import base64
import gzip
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import CliResult

SECRETS = ("opensesame", "tok123abc", "xyz789auth", "sess456id")


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering 200 and keeping every Authorization header it received."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_url_credentials_are_sent_as_basic_auth_and_redacted_everywhere(
    cli: Callable[..., CliResult], tmp_path: Path, recording_server: tuple[str, list[str]]
) -> None:
    where, seen = recording_server
    store = f"sqlite:///{tmp_path / 'h.sqlite'}"
    files = {ext: tmp_path / f"run.{ext}" for ext in ("json", "html", "csv", "xml", "md")}
    results = tmp_path / "run.results.json.gz"
    r = cli(
        "http", f"http://ann:opensesame@{where}/items?token=tok123abc", "-n", "20", "-c", "2",
        "-H", "X-Auth-Token: xyz789auth", "-H", "X-Session-Token: sess456id",
        "--json", str(files["json"]), "--html", str(files["html"]), "--csv", str(files["csv"]),
        "--junit", str(files["xml"]), "--markdown", str(files["md"]), "--out", str(results),
        "--store", store, "-t", "p95 < 5s",
    )  # fmt: skip
    assert r.code == 0, r.err
    expected = "Basic " + base64.b64encode(b"ann:opensesame").decode()
    assert seen and all(h == expected for h in seen)  # sent, as curl and k6 do

    texts = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    texts["results"] = gzip.decompress(results.read_bytes()).decode()
    texts["console"] = r.out + r.err
    listed = cli("history", "--store", store)
    texts["history"] = listed.out
    texts["show"] = cli("show", "last", "--store", store).out
    texts["show --json"] = cli("show", "last", "--store", store, "--json").out
    for name, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {name}"
    assert "[redacted]" in texts["json"] and "[redacted]" in texts["results"]

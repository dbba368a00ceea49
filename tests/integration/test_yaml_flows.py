"""YAML flows against loopback servers: templated file-level headers, capture errors keyed by their YAML
path, and polling until a condition holds (issue 10, item 22)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.integration.test_scenarios import run_file


class _AuthHandler(BaseHTTPRequestHandler):
    """POST /login -> {"token": "t-1"}; GET /me needs 'Authorization: Bearer t-1' (or the static key)."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def _send(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.path, self.headers.get("Authorization")))
        self._send(200, {"token": "t-1"})

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        self.seen.append((self.path, auth))
        ok = auth in ("Bearer t-1", "Key k-7") and self.headers.get("X-Vu") is not None
        self._send(200 if ok else 401, {"me": "ok"} if ok else {"error": "no"})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def auth_url() -> Iterator[str]:
    _AuthHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_file_level_headers_are_templated_per_request(tmp_path: Path, auth_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        variables: {key: k-7}
        headers:
          Authorization: "Bearer {{ token }}"
          X-Vu: "{{ vu }}"
        profile: {profile: shared-iterations, vus: 2, iterations: 6}
        scenarios:
          - name: login then me
            requests:
              - {method: POST, url: /login, name: login, json: {user: a}, capture: {token: $.token}}
              - {url: /me, name: me, check: {status: 200}}
              - {url: /me, name: me by key, headers: {authorization: "Key {{ key }}"}, check: {status: 200}}
        """,
        auth_url,
        suffix=".yaml",
    )
    assert s["by_name"]["me"]["requests"]["ok"] == 6, s["by_name"]
    failed = {k: v["failed"] for k, v in s["checks"].items()}
    assert failed == {"me: status 200": 0, "me by key: status 200": 0}
    seen = _AuthHandler.seen
    assert ("/login", None) in seen  # the token does not exist yet for the login itself: header left out
    assert seen.count(("/me", "Bearer t-1")) == 6 and seen.count(("/me", "Key k-7")) == 6  # step header wins


def test_failed_capture_is_a_script_error_named_by_its_yaml_path(tmp_path: Path, auth_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        profile: {profile: shared-iterations, vus: 1, iterations: 3}
        scenarios:
          - requests:
              - {url: /login, method: POST, name: login}
              - {url: /login, method: POST, name: login2, capture: {token: $.session.token}}
              - {url: "/me?t={{ token }}"}
        """,
        auth_url,
        suffix=".yaml",
    )
    errors = s["scenarios"]["default"]["script_errors"]
    assert errors == {
        "scenarios[0].requests[1].capture.token: $.session.token not found in the response": 3
    }, errors
    assert "/me?t=" not in {p for p, _ in _AuthHandler.seen}


def test_poll_until_a_queued_message_is_stored(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        profile: {profile: shared-iterations, vus: 2, iterations: 4}
        scenarios:
          - requests:
              - {method: POST, url: /api/messages, name: create, json: {content: x}, capture: {id: $.id}}
              - url: /api/messages/{{ id }}
                name: stored
                poll: {until: {status: 200, json: {$.stored: true}}, every: 20ms, max: 4s}
                capture: {payload: $.payload}
        """,
        demo_url,
        suffix=".yaml",
    )
    check = s["checks"]["stored: poll until status 200 and $.stored == True"]
    assert (check["passed"], check["failed"]) == (4, 0), s["checks"]
    assert s["scenarios"]["default"]["script_errors"] == {}
    assert s["by_name"]["stored"]["requests"]["total"] >= 4


def test_poll_that_never_holds_fails_a_check_within_its_bound(tmp_path: Path, demo_url: str) -> None:
    s = run_file(
        tmp_path,
        """
        profile: {profile: shared-iterations, vus: 1, iterations: 2}
        scenarios:
          - requests:
              - url: /health
                name: health
                poll: {until: {json: {$.status: done}}, every: 10ms, max_attempts: 3}
        """,
        demo_url,
        suffix=".yaml",
    )
    check = s["checks"]["health: poll until $.status == 'done'"]
    assert check["failed"] == 2 and check["passed"] == 0, s["checks"]
    assert s["by_name"]["health"]["requests"]["total"] == 6  # 3 attempts in each of 2 iterations

"""The webhook sink: a loopback listener the system under test POSTs finished items to."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.probes.sink_spec import parse_sink
from loadpulse.probes.sinks import SinkError, SinkRow, open_sink
from loadpulse.probes.webhook_sink import WebhookSink


@pytest.fixture
def hook() -> Iterator[WebhookSink]:
    sink = open_sink(parse_sink("webhook:0"))
    assert isinstance(sink, WebhookSink)
    sink.check()
    yield sink
    sink.close()


def post(port: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.request("POST", "/done", data, {"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, text


def test_posted_items_arrive_at_the_next_poll(hook: WebhookSink) -> None:
    assert hook.port > 0 and hook.url == f"http://127.0.0.1:{hook.port}/"
    assert hook.poll() == []
    before = time.time()
    assert post(hook.port, {"id": "a", "worker": "w1", "status": "done", "at": 1700000000.25}) == (204, "")
    assert post(hook.port, [{"id": 2, "worker": 3}, "c"]) == (204, "")
    a, b, c = hook.poll()
    assert a == SinkRow("a", 1700000000.25, "w1", "done")
    assert (b.id, b.worker, c.id) == ("2", "3", "c")
    assert isinstance(b.at, float) and before <= b.at <= time.time()  # no 'at': when the POST arrived
    assert hook.poll() == []
    assert post(hook.port, {"id": "a", "worker": "w1"})[0] == 204
    assert [r.id for r in hook.poll()] == ["a"]  # posted twice: a duplicate, reported as such


def test_keep_alive_connections_post_many(hook: WebhookSink) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", hook.port, timeout=5)
    for i in range(20):
        conn.request("POST", "/", json.dumps({"id": i}).encode(), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 204
    conn.close()
    assert [r.id for r in hook.poll()] == [str(i) for i in range(20)]


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"{oops", {}, 400, "not an item or a list of items:"),
        ({"worker": "w1"}, {}, 400, "not an item or a list of items: an entry has no 'id' (its fields: w"),
        ([{"id": "a"}, {"id": 1.5}], {}, 400, "an id must be text or an integer, not float"),
        ({"id": "a"}, {"Host": "evil.example:80"}, 403, "only loopback hosts and origins may post here"),
        ({"id": "a"}, {"Origin": "https://evil.example"}, 403, "only loopback hosts and origins may post"),
    ],
)  # fmt: skip
def test_bad_posts_are_refused_and_nothing_is_queued(
    hook: WebhookSink, body: Any, headers: dict[str, str], status: int, message: str
) -> None:
    code, text = post(hook.port, body, headers)
    assert code == status and message in text
    assert hook.poll() == []


def test_get_is_not_allowed(hook: WebhookSink) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", hook.port, timeout=5)
    conn.request("GET", "/")
    resp = conn.getresponse()
    assert resp.status == 405 and resp.getheader("Allow") == "POST"
    conn.close()


def test_a_full_backlog_answers_503(hook: WebhookSink, monkeypatch: pytest.MonkeyPatch) -> None:
    from loadpulse.probes import webhook_sink

    monkeypatch.setattr(webhook_sink, "MAX_PENDING", 2)
    assert post(hook.port, ["a", "b"])[0] == 204
    assert post(hook.port, "c")[0] == 503
    assert [r.id for r in hook.poll()] == ["a", "b"]
    assert post(hook.port, "c")[0] == 204


def test_a_port_in_use_is_bad_input_and_close_frees_it(hook: WebhookSink) -> None:
    taken = open_sink(parse_sink(f"webhook:{hook.port}"))
    with pytest.raises(BadInput) as caught:
        taken.check()
    assert str(caught.value) == (
        f"--sink 'webhook:{hook.port}': port {hook.port} on 127.0.0.1 is in use; choose another port "
        "the system under test can post to"
    )
    port = hook.port
    hook.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # released


def test_poll_before_listening_is_a_sink_error() -> None:
    with pytest.raises(SinkError, match="not listening"):
        open_sink(parse_sink("webhook:0")).poll()

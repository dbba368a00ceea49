"""Redis sinks against a real redis-server: every key type, JSON members, wrong types, failures mid-run."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from loadpulse.errors import BadInput
from loadpulse.probes.sink_spec import parse_sink
from loadpulse.probes.sinks import Sink, SinkError, SinkRow, open_sink
from tests.ports import free_port


@pytest.fixture
def db(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def key() -> str:
    return f"done:{uuid.uuid4().hex[:8]}"


def opened(redis_url: str, key: str) -> Sink:
    sink = open_sink(parse_sink(f"redis:{redis_url}#{key}"))
    sink.check()
    return sink


def test_list_is_read_on_from_the_last_index(redis_url: str, db: redis.Redis, key: str) -> None:
    sink = opened(redis_url, key)
    assert sink.poll() == []  # not created yet: nothing arrived, no error
    db.rpush(key, "a", "b", json.dumps({"id": "c", "worker": "w1", "at": 1700000000.5, "status": "done"}))
    assert sink.poll() == [SinkRow("a"), SinkRow("b"), SinkRow("c", 1700000000.5, "w1", "done")]
    assert sink.poll() == []
    db.rpush(key, "a", "{broken")
    assert sink.poll() == [SinkRow("a")]  # a pushed twice: a duplicate
    assert sink.skipped == 1 and (sink.first_problem or "").startswith(
        "an entry starting with '{' is not valid JSON"
    )
    db.ltrim(key, 3, -1)
    with pytest.raises(SinkError, match=f"list '{key}' shrank from 5 to 2 entries"):
        sink.poll()
    db.rpush(key, "d")
    assert sink.poll() == [SinkRow("d")]
    sink.close()


def test_a_long_list_is_read_page_by_page(
    redis_url: str, db: redis.Redis, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loadpulse.probes import redis_sink

    monkeypatch.setattr(redis_sink, "PAGE", 3)
    sink = opened(redis_url, key)
    db.rpush(key, *range(10))
    assert [r.id for r in sink.poll()] == [str(i) for i in range(10)]


def test_set_reports_new_members(redis_url: str, db: redis.Redis, key: str) -> None:
    sink = opened(redis_url, key)
    db.sadd(key, "a", "b")
    assert sorted(r.id for r in sink.poll()) == ["a", "b"]
    db.sadd(key, "a", "c", json.dumps({"id": "a", "status": "done"}))
    assert sorted(sink.poll(), key=str) == [SinkRow("a", None, None, "done"), SinkRow("c")]
    assert sink.poll() == []


def test_sorted_set_reads_on_from_the_last_score(redis_url: str, db: redis.Redis, key: str) -> None:
    sink = opened(redis_url, key)
    db.zadd(key, {"a": 100.0, "b": 200.0})
    assert sink.poll() == [SinkRow("a", 100.0), SinkRow("b", 200.0)]
    db.zadd(key, {"c": 200.0, "old": 50.0, json.dumps({"id": "d", "worker": "w2"}): 300.0})
    assert sink.poll() == [SinkRow("c", 200.0), SinkRow("d", 300.0, "w2")]  # b not again, old is behind
    assert sink.poll() == []


def test_stream_entries_with_fields_or_one_json_value(redis_url: str, db: redis.Redis, key: str) -> None:
    sink = opened(redis_url, key)
    db.xadd(key, {"id": "a", "worker": "w1", "status": "done", "at": "1700000000"}, id="1700000000500-0")
    db.xadd(key, {"id": "b", "worker": "w2"}, id="1700000001000-0")
    db.xadd(key, {"job": json.dumps({"id": "c", "worker": "w3"})}, id="1700000001000-1")
    assert sink.poll() == [
        SinkRow("a", 1700000000.0, "w1", "done"),
        SinkRow("b", 1700000001.0, "w2"),  # at: when the entry was added
        SinkRow("c", 1700000001.0, "w3"),
    ]
    assert sink.poll() == []
    db.xadd(key, {"id": "a", "worker": "w1"})
    db.xadd(key, {"worker": "w1", "status": "done"})
    (row,) = sink.poll()
    assert row.id == "a" and isinstance(row.at, float) and abs(row.at - time.time()) < 60
    assert (
        sink.skipped == 1
        and sink.first_problem == "a stream entry has no 'id' field (its fields: worker, status)"
    )


def test_a_key_of_the_wrong_type_is_bad_input(redis_url: str, db: redis.Redis, key: str) -> None:
    db.set(key, "3")
    db.hset(key + "h", "id", "a")
    for name, kind in ((key, "string"), (key + "h", "hash")):
        sink = open_sink(parse_sink(f"redis:{redis_url}#{name}"))
        with pytest.raises(BadInput) as caught:
            sink.check()
        assert str(caught.value).endswith(
            f"key '{name}' is a {kind}; a sink key must be a list, set, sorted set or stream "
            "of ids or JSON objects"
        )
        sink.close()


def test_a_deleted_or_retyped_key_mid_run_is_a_sink_error(redis_url: str, db: redis.Redis, key: str) -> None:
    sink = opened(redis_url, key)
    db.rpush(key, "a")
    assert sink.poll() == [SinkRow("a")]
    db.delete(key)
    with pytest.raises(SinkError, match=f"^key '{key}' is gone \\(deleted or expired\\)$"):
        sink.poll()
    db.sadd(key, "b")
    with pytest.raises(SinkError, match=f"^key '{key}' was a list and is now a set$"):
        sink.poll()
    sink.close()


def test_unreachable_redis_is_bad_input_and_a_stopped_one_a_sink_error(tmp_path: object) -> None:
    nobody = open_sink(parse_sink(f"redis:redis://:hunter22@127.0.0.1:{free_port()}/0#done"))
    with pytest.raises(BadInput) as caught:
        nobody.check()
    assert "does not answer" in str(caught.value) and "hunter22" not in str(caught.value)
    assert "\n" not in str(caught.value)

    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.rpush("done", "a")
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        sink = opened(f"redis://127.0.0.1:{port}/0", "done")
        assert sink.poll() == [SinkRow("a")]
    finally:
        server.terminate()
        server.wait(10)
    with pytest.raises(SinkError) as failed:
        sink.poll()
    assert "\n" not in str(failed.value)
    sink.close()
    client.close()

"""Sink specs: every kind parsed, and every malformed one a one-line BadInput naming the problem and
the fix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from loadpulse.errors import BadInput
from loadpulse.probes.sink_spec import SinkSpec, parse_sink


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        (
            "sql:sqlite:///jobs.db#SELECT id, done_at AS at FROM jobs",
            SinkSpec("sql", "sqlite:///jobs.db", "SELECT id, done_at AS at FROM jobs"),
        ),
        (
            "sql:postgres://u@127.0.0.1/db#SELECT id FROM t",
            SinkSpec("sql", "postgresql://u@127.0.0.1/db", "SELECT id FROM t"),
        ),
        ("redis:redis://127.0.0.1:6379/0#done", SinkSpec("redis", "redis://127.0.0.1:6379/0", "done")),
        (
            "http:http://127.0.0.1:8000/jobs#$.items",
            SinkSpec("http", "http://127.0.0.1:8000/jobs", "$.items"),
        ),
        ("http:http://127.0.0.1:8000/ids#$", SinkSpec("http", "http://127.0.0.1:8000/ids", "$")),
        ("webhook:0", SinkSpec("webhook", port=0)),
        ("webhook:8123", SinkSpec("webhook", port=8123)),
    ],
)
def test_specs_parse(text: str, spec: SinkSpec) -> None:
    assert parse_sink(text) == spec


def test_a_function_is_a_sink() -> None:
    def done() -> Iterable[str]:
        return ["a"]

    spec = parse_sink(done, "pipeline sink")
    assert spec.kind == "callable" and spec.fn is done and spec.label == "pipeline sink done()"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sqll:sqlite:///x.db#SELECT 1", "--sink 'sqll:sqlite:///x.db#SELECT 1': unknown sink kind 'sqll'; did you mean 'sql'?"),  # noqa: E501
        ("postgresql://h/db#SELECT id FROM t", "unknown sink kind 'postgresql'; write sql:postgresql://…#QUERY"),
        ("kafka:x", "unknown sink kind 'kafka'; choose one of sql, redis, http, webhook, a Python function"),
        ("nothing", "unknown sink kind 'nothing'"),
        ("sql:sqlite:///x.db", "a sql sink needs a query after '#', like sql:sqlite:///jobs.db#SELECT"),
        ("sql:sqlite:///x.db#  ", "a sql sink needs a query after '#'"),
        ("sql:mysql://h/db#SELECT 1", "a sql sink needs a sqlite:/// or postgresql:// URL after 'sql:'"),
        ("sql:#SELECT 1", "a sql sink needs a URL after 'sql:'"),
        ("redis:redis://127.0.0.1:6379", "a redis sink needs a key after '#', like redis:redis://"),
        ("redis://127.0.0.1:6379#done", "a redis sink needs a redis:// URL after 'redis:'"),
        ("http:http://127.0.0.1/jobs", "a http sink needs a JSON path after '#', like http:http://"),
        ("http:http://127.0.0.1/jobs#items", "JSON path 'items' must start with '$'"),
        ("http:ftp://127.0.0.1/jobs#$", "a http sink needs a http:// or https:// URL"),
        ("webhook:", "port '' is not a port number 0-65535, e.g. webhook:9900"),
        ("webhook:http", "port 'http' is not a port number 0-65535, e.g. webhook:9900"),
        ("webhook:²", "port '²' is not a port number 0-65535, e.g. webhook:9900"),
        ("webhook:70000", "port '70000' is not a port number"),
    ],
)  # fmt: skip
def test_malformed_specs_are_one_line_bad_input(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_sink(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_messages_never_show_a_password() -> None:
    with pytest.raises(BadInput) as caught:
        parse_sink("sql:postgresql://app:s3cret@127.0.0.1/db")
    assert "s3cret" not in str(caught.value) and "[redacted]" in str(caught.value)
    spec = parse_sink("sql:postgresql://app:s3cret@127.0.0.1/db#SELECT id FROM t", "--sink")
    assert "s3cret" not in spec.label and spec.target == "postgresql://app:s3cret@127.0.0.1/db"


def test_where_names_the_declaration() -> None:
    with pytest.raises(BadInput, match=r"^pipeline\['orders'\] 'sq:x': unknown sink kind 'sq'"):
        parse_sink("sq:x", "pipeline['orders']")


def test_an_async_function_or_a_value_is_not_a_sink() -> None:
    async def events() -> AsyncIterator[str]:
        yield "a"

    async def fetch() -> list[str]:
        return []

    for fn in (events, fetch):
        with pytest.raises(BadInput, match="must be a plain \\(not async\\) function"):
            parse_sink(fn)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="int is not a sink; give a spec string like 'sql:URL#QUERY'"):
        parse_sink(42)  # type: ignore[arg-type]

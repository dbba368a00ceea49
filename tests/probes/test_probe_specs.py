"""Probe specs: parsed, and every malformed one is a one-line error with exit 2."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loadpulse.probes.spec import ProbeSpec, parse_probe
from tests.conftest import CliResult


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("cpu=process:1234", ProbeSpec("cpu", "process", "1234")),
        ("target=process:uvicorn app:main", ProbeSpec("target", "process", "uvicorn app:main")),
        ("db=file:/var/lib/app.db", ProbeSpec("db", "file", "/var/lib/app.db")),
        (
            "queue=http:http://127.0.0.1:8000/health#$.queue_length",
            ProbeSpec("queue", "http", "http://127.0.0.1:8000/health", "$.queue_length"),
        ),
        (
            "stuck=sql:sqlite:///jobs.db#SELECT count(*) FROM jobs WHERE status='RUNNING'",
            ProbeSpec(
                "stuck", "sql", "sqlite:///jobs.db", "SELECT count(*) FROM jobs WHERE status='RUNNING'"
            ),
        ),
        (
            "pending=redis:redis://127.0.0.1:6379/0#LLEN pending_messages",
            ProbeSpec("pending", "redis", "redis://127.0.0.1:6379/0", "LLEN pending_messages"),
        ),
        (
            "mem=redis:redis://127.0.0.1:6379#INFO memory#used_memory",
            ProbeSpec("mem", "redis", "redis://127.0.0.1:6379", "INFO memory#used_memory"),
        ),
    ],
)
def test_specs_parse(text: str, spec: ProbeSpec) -> None:
    assert parse_probe(text) == spec


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("queue", "is not NAME=KIND:TARGET"),
        ("=file:/x", "is not NAME=KIND:TARGET"),
        ("q q=file:/x", "must be letters"),
        ("q=htp:http://x", "unknown probe kind 'htp'; did you mean 'http'?"),
        ("q=file:", "needs a target"),
        ("q=http:ftp://x#$.a", "needs an http:// or https:// URL"),
        ("q=http:http://127.0.0.1:1/health", "needs a JSON path after '#'"),
        ("q=http:http://127.0.0.1:1/health#queue", "must start with '$'"),
        ("q=sql:sqlite:///x.db", "needs a query after '#'"),
        ("q=redis:127.0.0.1:6379#LLEN x", "needs a redis:// URL"),
        ("q=redis:redis://127.0.0.1:6379", "needs a command after '#'"),
        ("q=redis:redis://127.0.0.1:6379#INFO memory", "names one field, like #INFO memory#used_memory"),
    ],
)
def test_bad_specs_exit_2_in_one_line(cli: Callable[..., CliResult], text: str, fragment: str) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "--no-history", "--probe", text)
    assert r.code == 2 and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and fragment in r.err, r.err


def test_a_probe_that_does_not_answer_at_the_start_is_bad_input(cli: Callable[..., CliResult]) -> None:
    r = cli("http", "http://127.0.0.1:9/", "-n", "1", "--no-history",
            "--probe", "q=http:http://127.0.0.1:9/health#$.queue_length")  # fmt: skip
    assert r.code == 2 and "probe 'q' (http) does not answer" in r.err
    r = cli(
        "http", "http://127.0.0.1:9/", "-n", "1", "--no-history", "--probe", "t=process:no-such-process-xyz"
    )
    assert r.code == 2 and "no process named 'no-such-process-xyz'" in r.err

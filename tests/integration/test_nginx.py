"""`loadpulse http` against a real nginx on a loopback port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import CliResult
from tests.services import Nginx

SUMMARY_KEYS = {
    "schema",
    "run_id",
    "started_at",
    "duration_s",
    "verdict",
    "requests",
    "latency_ms",
    "errors",
    "by_name",
    "thresholds",
}
LATENCY_KEYS = {"min", "mean", "p50", "p90", "p95", "p99", "p999", "max"}


def run(cli: Callable[..., CliResult], *args: str) -> dict[str, Any]:
    result = cli("http", *args, "--json", "-", "--quiet")
    assert result.code == 0, result.err
    return result.summary()


def test_request_count_run_is_exact_and_summary_has_the_v1_shape(
    cli: Callable[..., CliResult], nginx: Nginx
) -> None:
    s = run(cli, nginx.url + "/", "-n", "3000", "-c", "20")
    assert s.keys() >= SUMMARY_KEYS and s["schema"] == "loadpulse.summary/1"
    assert s["requests"]["total"] == 3000 and s["requests"]["ok"] == 3000 and s["errors"] == {}
    assert s["status_codes"] == {"200": 3000}
    assert set(s["latency_ms"]) == LATENCY_KEYS
    lat = s["latency_ms"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["p999"] <= lat["max"]
    assert set(s["by_name"]) == {"GET /"} and s["by_name"]["GET /"]["requests"]["total"] == 3000
    assert s["ended_by"] == "requests" and s["latency_basis"] == "send"
    assert s["connections"]["opened"] == 20 and s["connections"]["tls_ms"] is None
    assert s["connections"]["connect_ms"]["min"] > 0
    assert s["bytes"]["received"] > 3000 * 3 and s["bytes"]["sent"] > 3000 * 30


def test_duration_run_stops_on_time(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    s = run(cli, nginx.url + "/", "-d", "1.5s", "-c", "10")
    assert s["ended_by"] == "duration" and 1.4 <= s["duration_s"] <= 3.0
    assert s["requests"]["ok"] > 100 and s["requests"]["failed"] == 0


def test_statuses_are_classified(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    assert run(cli, nginx.url + "/teapot", "-n", "50", "-c", "5")["errors"] == {"http_4xx": 50}
    s = run(cli, nginx.url + "/boom", "-n", "50", "-c", "5")
    assert (
        s["errors"] == {"http_5xx": 50} and s["requests"]["failed"] == 50 and s["status_codes"] == {"503": 50}
    )


def test_post_body_head_and_headers(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    s = run(
        cli,
        nginx.url + "/echo",
        "-n",
        "40",
        "-c",
        "4",
        "--json-body",
        '{"hello": "world"}',
        "-H",
        "Authorization: Bearer secret-token",
    )
    assert s["requests"]["ok"] == 40 and s["target"]["method"] == "POST"
    assert ["Authorization", "[redacted]"] in s["target"]["headers"]
    assert "secret-token" not in str(s)
    head = run(cli, nginx.url + "/", "-n", "40", "-c", "4", "-m", "HEAD")
    assert head["requests"]["ok"] == 40 and head["errors"] == {}


def test_tls_verification_on_by_default_and_insecure_skips_it(
    cli: Callable[..., CliResult], nginx: Nginx
) -> None:
    s = run(cli, nginx.tls_url + "/", "-n", "5", "-c", "1")
    assert s["errors"] == {"tls": 5}
    s = run(cli, nginx.tls_url + "/", "-n", "50", "-c", "5", "--insecure")
    assert s["requests"]["ok"] == 50 and s["errors"] == {}
    assert s["connections"]["opened"] == 5 and s["connections"]["tls_ms"]["min"] > 0


def test_open_model_holds_its_rate(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    s = run(cli, nginx.url + "/", "--rate", "500", "-d", "3s", "-c", "5")
    assert s["model"] == "open" and s["latency_basis"] == "intended_start"
    # 3 s at 500/s is 1501 arrivals (the first at t=0); none may be lost or dropped against nginx.
    assert abs(s["requests"]["total"] - 1500) <= 15 and s["dropped"] == 0
    assert s["service_time_ms"]["p50"] <= s["latency_ms"]["p50"] + 0.001


def test_open_model_request_count(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    s = run(cli, nginx.url + "/", "--rate", "1000", "-n", "300")
    assert s["requests"]["total"] == 300 and s["ended_by"] == "requests"


def test_preopened_connections_serve_the_first_arrivals(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    s = run(cli, nginx.url + "/", "--rate", "200", "-n", "50", "-c", "5", "--max-in-flight", "5")
    assert s["requests"]["ok"] == 50 and s["dropped"] == 0
    assert s["connections"]["opened"] == 5  # all five opened before the clock started, none during


def test_console_summary(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    result = cli("http", nginx.url + "/", "-n", "200", "-c", "4", "--no-progress")
    assert result.code == 0
    for text in ("requests  200", "req/s", "p99.9", "status    200: 200", "exposed to coordinated omission"):
        assert text in result.out, text
    assert "\x1b[" not in result.out  # not a TTY: no colour codes

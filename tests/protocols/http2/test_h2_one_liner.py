"""`loadpulse http --h2` against nginx (h2c and TLS) and the misbehaving h2 test server."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from tests.conftest import CliResult
from tests.protocols.http2.h2_server import H2TestServer
from tests.services import Nginx, NginxH2


def _run(cli: Callable[..., CliResult], *args: str) -> CliResult:
    return cli("http", *args, "--h2", "--json", "-", "-q", "--no-history")


def test_streams_are_multiplexed_over_few_connections(
    h2_server: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    before = h2_server.stats.connections
    res = _run(cli, f"{h2_server.url}/", "-c", "2", "--streams-per-connection", "50", "-n", "3000")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 3000 and summary["requests"]["ok"] == 3000
    assert h2_server.stats.connections - before == 2  # 100 requests in flight on two connections
    assert h2_server.stats.max_open > 10
    assert summary["connections"]["opened"] == 2


def test_exact_budget_through_goaway_every_100_streams(
    nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    """nginx ends each connection after 100 streams with GOAWAY: the streams above its last id are sent
    again on a new connection, none lost, none counted twice, no error."""
    res = _run(cli, f"{nginx_h2.goaway_url}/", "-c", "2", "--streams-per-connection", "30", "-n", "2000")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"] == summary["requests"] | {"total": 2000, "ok": 2000, "failed": 0}
    assert summary["errors"] == {}
    assert summary["connections"]["opened"] >= 20  # a new connection after each GOAWAY
    # Full connections (2 x 100 streams): a stream can meet several GOAWAYs in a row, none its failure.
    res = _run(cli, f"{nginx_h2.goaway_url}/", "-c", "2", "-n", "2001")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"] == summary["requests"] | {"total": 2001, "ok": 2001, "failed": 0}


def test_tls_with_alpn_h2_and_a_1_mib_body(nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    """Bodies 64 times the default 16 KiB window: flow control acknowledged as read, windows reopen."""
    res = _run(cli, f"{nginx_h2.tls_url}/big", "-k", "-c", "1", "--streams-per-connection", "4", "-n", "24")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["ok"] == 24, (summary["requests"], summary["errors"], summary["warnings"])
    assert summary["bytes"]["received"] >= 24 * (1 << 20)
    assert summary["connections"]["tls_ms"] is not None


def test_reset_and_goaway_streams_are_error_kinds(
    h2_server: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    rst = _run(cli, f"{h2_server.url}/rst", "-c", "1", "-n", "50")
    assert rst.code == 0, rst.err
    assert rst.summary()["errors"] == {"h2_rst_stream": 50}
    goaway = _run(cli, f"{h2_server.url}/goaway", "-c", "1", "--streams-per-connection", "5", "-n", "10")
    assert goaway.code == 0, goaway.err
    # Above the GOAWAY's last stream id (0): not processed, resent twice, then counted.
    assert goaway.summary()["errors"] == {"h2_goaway": 10}


def test_a_refused_stream_is_resent(h2_server: H2TestServer, cli: Callable[..., CliResult]) -> None:
    before = h2_server.stats.paths.get("/refused-once", 0)
    res = _run(cli, f"{h2_server.url}/refused-once", "-c", "1", "-n", "20")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["ok"] == 20 and res.summary()["errors"] == {}
    assert h2_server.stats.paths["/refused-once"] - before == 21  # the refused one came again


def test_a_server_without_http2_is_bad_input_said_once(
    nginx_h2: NginxH2, nginx: Nginx, cli: Callable[..., CliResult]
) -> None:
    h1 = cli("http", f"{nginx_h2.h1_url}/", "--h2", "-n", "100", "-q", "--no-history")
    assert h1.code == 2
    host = nginx_h2.h1_url.removeprefix("http://")
    assert h1.err.strip().splitlines() == [
        f"loadpulse: error: the server at {host} does not speak HTTP/2 (it answered HTTP/1.1 to the h2c "
        "preface)"
    ]
    tls = cli("http", f"{nginx.tls_url}/", "--h2", "-k", "-n", "100", "-q", "--no-history")
    assert tls.code == 2
    assert "does not speak HTTP/2 (ALPN chose http/1.1)" in tls.err and "Traceback" not in tls.err
    assert len(tls.err.strip().splitlines()) == 1


def test_streams_per_connection_needs_h2(nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    res = cli("http", f"{nginx_h2.h2c_url}/", "--streams-per-connection", "5", "-n", "1", "-q")
    assert res.code == 2 and "--streams-per-connection only applies with --h2" in res.err


def test_open_model_holds_its_rate(nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    res = _run(cli, f"{nginx_h2.h2c_url}/", "--rate", "500", "-d", "3s", "-c", "1")
    assert res.code == 0, res.err
    summary = res.summary()
    started = summary["requests"]["total"] + summary["dropped"]
    assert abs(started - 1500) <= 30  # within 2 % of rate x duration (the schedule's own count)
    assert summary["requests"]["failed"] == 0
    assert summary["latency_basis"] != "send"


def test_the_one_liner_splits_over_two_workers(nginx_h2: NginxH2, cli: Callable[..., CliResult]) -> None:
    res = _run(cli, f"{nginx_h2.h2c_url}/", "-n", "1001", "-c", "3", "--workers", "2")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["total"] == 1001 and summary["requests"]["ok"] == 1001
    assert [w["requests"] for w in summary["workers"]["per_worker"]] == [667, 334]
    # 15,000 streams in flight: more than one process keeps (10,000), each worker's half fits.
    res = _run(cli, f"{nginx_h2.h2c_url}/", "-n", "300", "-c", "150", "--workers", "2")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["ok"] == 300


def test_streams_in_flight_one_process_cannot_serve_are_refused(
    nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    res = cli("http", f"{nginx_h2.h2c_url}/", "--h2", "-c", "101", "-d", "1s", "-q", "--no-history")
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        "loadpulse: error: -c 101 x 100 streams per connection = 10,100 HTTP/2 streams in flight, more than "
        "one loadpulse process keeps (at most 10,000): lower -c or --streams-per-connection, or spread the "
        "load with --workers"
    ]
    res = cli("http", f"{nginx_h2.h2c_url}/", "--h2", "--rate", "10", "--max-in-flight", "20000", "-q")
    assert res.code == 2 and "--max-in-flight 20,000 with --h2 is more HTTP/2 streams" in res.err
    # Two workers keep 20,000, but -c 3 splits 2 + 1: the bigger part is too much for its process.
    res = cli(
        "http", f"{nginx_h2.h2c_url}/", "--h2", "-c", "3", "--streams-per-connection", "6000",
        "--workers", "2", "-d", "1s", "-q", "--no-history",
    )  # fmt: skip
    assert res.code == 2 and res.err.startswith(
        "loadpulse: error: a worker's part of the load: -c 2 x 6,000 streams per connection = 12,000"
    )
    assert res.err.strip().endswith(
        "give -c as a multiple of --workers so the parts are even, or more --workers"
    )
    # A budget smaller than the bound never has more in flight than itself.
    res = _run(cli, f"{nginx_h2.h2c_url}/", "-c", "200", "-n", "2000")
    assert res.code == 0 and res.summary()["requests"]["ok"] == 2000, res.err


def test_a_run_at_the_streams_bound_ends_on_time_with_every_stream_answered(
    nginx_h2: NginxH2, cli: Callable[..., CliResult]
) -> None:
    """10,000 streams in flight: the first window goes out over several loop turns, the run ends by its
    duration and grace (it used to block the loop for seconds and be stopped by force past -c 1000)."""
    res = _run(cli, f"{nginx_h2.h2c_url}/", "-c", "100", "-d", "1s")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["ended_by"] == "duration"
    assert summary["errors"] == {} and summary["requests"]["ok"] > 10_000
    assert not [w for w in summary["warnings"] if "deadline" in w or "by force" in w]


def test_a_server_limit_below_the_asked_streams_lowers_what_is_in_flight(
    h2_server_8_streams: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    """Kept at the server's 8 per connection, not 50 of which 42 would queue unsent (and be counted
    unfinished, their bytes as sent); said once."""
    url = f"{h2_server_8_streams.url}/hold"
    asked = _run(cli, url, "-c", "2", "--streams-per-connection", "50", "-d", "1s", "--grace", "0.2s")
    fits = _run(cli, url, "-c", "2", "--streams-per-connection", "8", "-d", "1s", "--grace", "0.2s")
    assert asked.code == 0 and fits.code == 0, asked.err + fits.err
    a, f = asked.summary(), fits.summary()
    assert a["errors"] == f["errors"] == {"unfinished": 16}
    assert a["bytes"]["sent"] == f["bytes"]["sent"] > 0
    assert [w for w in a["warnings"] if "concurrent" in w] == [
        "the server allows at most 8 concurrent streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS): "
        "8 in flight on each, not the 50 asked for"
    ]


def test_a_server_that_raises_its_limit_from_zero_gets_the_waiting_requests(
    h2_server_0_then_100_streams: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    res = _run(cli, f"{h2_server_0_then_100_streams.url}/", "-c", "2", "-n", "400")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"] == summary["requests"] | {"total": 400, "ok": 400, "failed": 0}
    assert h2_server_0_then_100_streams.stats.max_open > 1  # the raised limit used, not one at a time
    assert any("no concurrent streams" in w for w in summary["warnings"])


def test_while_a_server_allows_no_stream_no_more_connections_are_opened(
    h2_server_0_then_100_streams: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    """An open model whose arrivals find no slot opens connections up to --max-in-flight / streams (10
    here); the server allowing 0 streams on the first, more would only get 0 too."""
    server = h2_server_0_then_100_streams
    before = server.stats.connections
    res = _run(cli, f"{server.url}/", "--rate", "200", "-d", "1s", "-c", "1")
    assert res.code == 0, res.err
    assert server.stats.connections - before == 1
    assert res.summary()["requests"]["ok"] > 100  # those after the raise, and the ones that waited for it


def test_a_server_that_hangs_up_before_its_settings_is_a_failed_connect_not_bad_input(
    cli: Callable[..., CliResult],
) -> None:
    """A server at its connection limit closes new ones at once: that says nothing about HTTP/2."""
    with socket.socket() as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen(64)
        port = rude.getsockname()[1]
        stop = threading.Event()

        def hang_up() -> None:
            rude.settimeout(0.1)
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    rude.accept()[0].close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        try:
            res = _run(cli, f"http://127.0.0.1:{port}/", "-c", "1", "-d", "1s")
        finally:
            stop.set()
            thread.join(5)
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["ok"] == 0 and summary["requests"]["failed"] > 0
    # The stream waiting for the next connect when the run ended is unfinished.
    assert set(summary["errors"]) <= {"premature_eof", "reset", "unfinished"}, summary["errors"]
    assert any("closed before the server's HTTP/2 SETTINGS" in w for w in summary["warnings"])


def test_a_server_that_drops_every_connection_gets_connects_backed_off_not_a_storm(
    h2_server: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    """Each connection reset as its first request arrives (a GOAWAY lost to the reset, or none): the next
    connect waits 10 ms doubling as after failed connects; without it, ~450 connections a second."""
    before = h2_server.stats.connections
    res = _run(cli, f"{h2_server.url}/drop", "-c", "1", "-d", "1s")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["ok"] == 0
    assert 2 <= h2_server.stats.connections - before <= 20


def test_a_server_that_is_down_fails_one_request_per_connect_not_a_connections_worth(
    cli: Callable[..., CliResult],
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connects are refused
        res = _run(
            cli, f"http://127.0.0.1:{port}/", "-c", "2", "--streams-per-connection", "1000", "-d", "1s"
        )
    assert res.code == 0, res.err
    summary = res.summary()
    failed = summary["errors"]["connect_refused"]
    # Backed off 10 ms doubling: ~10 connects a second, each failing what waits for it (2 streams, one
    # per connection), never the 2,000 the connections would carry once open. Those waiting for the next
    # connect when the run ended are unfinished.
    assert summary["requests"]["failed"] == failed + summary["errors"].get("unfinished", 0)
    assert 2 <= failed <= 60
    assert summary["bytes"]["sent"] == 0


def test_a_server_that_never_sends_settings_is_said(cli: Callable[..., CliResult]) -> None:
    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        res = _run(cli, f"http://127.0.0.1:{port}/", "-d", "1s", "--connect-timeout", "0.3s")
    assert res.code == 0, res.err
    summary = res.summary()
    assert summary["requests"]["ok"] == 0
    assert summary["warnings"][0] == (
        f"connect_timeout connecting to 127.0.0.1:{port}: it took the connection but sent no HTTP/2 "
        "SETTINGS within the 0.3 s connect timeout"
    )


def test_without_c_http2_opens_one_connection_per_process(
    h2_server: H2TestServer, cli: Callable[..., CliResult]
) -> None:
    """Not HTTP/1.1's 50: 50 connections of 100 streams would put 5,000 requests in flight."""
    before = h2_server.stats.connections
    res = _run(cli, f"{h2_server.url}/", "-n", "500")
    assert res.code == 0, res.err
    assert res.summary()["requests"]["ok"] == 500 and h2_server.stats.connections - before == 1
    res = _run(cli, f"{h2_server.url}/", "-n", "500", "--workers", "2")
    assert res.code == 0, res.err
    assert [w["requests"] for w in res.summary()["workers"]["per_worker"]] == [250, 250]

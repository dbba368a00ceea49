"""The HTTP core (connection, connect, client) fed bytes by a mock network, each test over both drivers."""

from __future__ import annotations

import itertools

import pytest

from loadpulse.engine.driver import Timeouts
from tests.protocols.drivers import DRIVERS, Driver
from tests.protocols.mock_net import EOF, RESET, MockNet, Pause, Step, ok

MS = 1000  # latencies are recorded in µs


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest) -> Driver:
    return DRIVERS[request.param]


def split(data: bytes, *at: int) -> list[Step]:
    cuts = [0, *at, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


RESPONSE = ok(b"0123456789")
AWKWARD = [
    [RESPONSE],
    [bytes([b]) for b in RESPONSE],  # byte by byte
    split(RESPONSE, RESPONSE.index(b"\r\n") + 1),  # between CR and LF of the status line
    split(RESPONSE, RESPONSE.index(b"\r\n\r\n") + 2, RESPONSE.index(b"\r\n\r\n") + 3),  # in the blank line
    split(RESPONSE, len(RESPONSE) - 1),  # the body's last byte alone
]


@pytest.mark.parametrize("script", AWKWARD, ids=["whole", "bytes", "crlf", "blank_line", "last_byte"])
def test_responses_split_anywhere_are_read_whole(driver: Driver, script: list[Step]) -> None:
    net = MockNet(lambda conn, i, req: script)
    out = driver(net, 3, Timeouts())
    assert (out.statuses, out.errors, net.connections) == ([200, 200, 200], {}, 1)
    assert out.bytes_in == 3 * len(RESPONSE)


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"


@pytest.mark.parametrize("cut", [CHUNKED.index(b"5\r\n") + 1, CHUNKED.index(b"hello") + 2, len(CHUNKED) - 2])
def test_chunked_bodies_split_inside_their_framing(driver: Driver, cut: int) -> None:
    net = MockNet(lambda conn, i, req: split(CHUNKED, cut) if i == 0 else [ok()])
    out = driver(net, 2, Timeouts())
    # The second response follows on the same connection: the chunked one ended exactly where it should.
    assert (out.statuses, out.errors, net.connections) == ([200, 200], {}, 1)


def test_keep_alive_close_race_is_resent_once_on_a_fresh_connection(driver: Driver) -> None:
    def serve(conn: int, i: int, req: bytes) -> list[Step]:
        return [EOF] if (conn, i) == (0, 1) else [ok()]  # closed as idle while the 2nd request came

    net = MockNet(serve)
    out = driver(net, 2, Timeouts())
    assert (out.statuses, out.errors, net.connections, len(net.requests)) == ([200, 200], {}, 2, 3)


def test_a_fresh_connection_closed_early_is_a_premature_eof(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [RESPONSE[:-5], EOF])
    out = driver(net, 1, Timeouts())
    assert (out.statuses, out.errors) == ([], {"premature_eof": 1})


def test_a_reset_mid_response_is_a_reset(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [RESPONSE[:20], RESET])
    out = driver(net, 1, Timeouts())
    assert (out.statuses, out.errors) == ([], {"reset": 1})


def test_an_oversized_header_is_a_protocol_error(driver: Driver) -> None:
    huge = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"
    net = MockNet(lambda conn, i, req: split(huge, 1000, 40_000))
    out = driver(net, 1, Timeouts())
    assert (out.statuses, out.errors) == ([], {"protocol": 1})


def test_a_trickling_response_times_out_at_the_total_timeout(driver: Driver) -> None:
    # A byte every 0.5 s never trips the 5 s read timeout; the 2 s total timeout ends it (checked every
    # 0.1 s), and the request stays in the latency record at the moment it was given up on.
    trickle: list[Step] = [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"]
    trickle += [s for _ in range(100) for s in (Pause(0.5), b"x")]
    net = MockNet(lambda conn, i, req: trickle)
    out = driver(net, 1, Timeouts(read_s=5, total_s=2))
    assert (out.statuses, out.errors) == ([], {"timeout": 1})
    assert len(out.lat_us) == 1 and 2000 * MS <= out.lat_us[0] <= 2100 * MS


def test_a_silent_target_times_out_at_the_read_timeout(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [Pause(3600)])
    out = driver(net, 1, Timeouts(read_s=1, total_s=10))
    assert (out.statuses, out.errors) == ([], {"timeout": 1})
    assert 1000 * MS <= out.lat_us[0] <= 1100 * MS


def test_latency_is_the_target_s_delay_exactly(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [Pause(0.25), RESPONSE])
    out = driver(net, 2, Timeouts())
    assert out.statuses == [200, 200] and all(250 * MS <= lat <= 251 * MS for lat in out.lat_us)


def test_server_errors_are_recorded_by_status(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"])
    out = driver(net, 2, Timeouts())
    assert out.statuses == [503, 503]


def test_a_connect_that_never_completes_is_a_connect_timeout(driver: Driver) -> None:
    net = MockNet(lambda conn, i, req: [ok()], hang=True)
    out = driver(net, 1, Timeouts())
    assert (out.statuses, out.errors, net.attempts) == ([], {"connect_timeout": 1}, 1)


def test_a_refused_connect_is_counted_and_the_next_request_connects_afresh(driver: Driver) -> None:
    def serve(conn: int, i: int, req: bytes) -> list[Step]:
        net.refuse = True  # the target goes away after its first answer
        return [ok(extra=b"Connection: close\r\n")]

    net = MockNet(serve)
    out = driver(net, 2, Timeouts())
    assert (out.statuses, out.errors, net.attempts) == ([200], {"connect_refused": 1}, 2)

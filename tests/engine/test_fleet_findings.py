"""The coordinator's run-wide findings: a feed that ran out said once, the imbalance per scenario."""

from __future__ import annotations

from loadpulse.engine.fleet_findings import (
    CountedWarnings,
    FeedsRunOut,
    deviation_pct,
    scenario_imbalance_pct,
)

ONCE = (
    "scenario 'default' stopped before its end: data users.csv ran out: all {n} row(s) (this worker's share "
    "of 1,000) used once each; give more rows, fewer iterations, or use mode='cycle' to reuse them"
)
PER_VU = (
    "scenario 'default' stopped before its end: data users.csv ran out: {n} row(s) (this worker's share of "
    "1,000) for VU {vu}, and per-vu gives each VU a row of its own; give at least as many rows as VUs"
)


def test_every_workers_share_run_out_is_one_line_as_one_process_says_it() -> None:
    feeds = FeedsRunOut(2)
    assert feeds.take(1, ONCE.format(n=500)) and feeds.take(2, ONCE.format(n=500))
    assert not feeds.take(1, "something else")
    assert feeds.lines() == [
        "scenario 'default' stopped before its end: data users.csv ran out: all 1,000 row(s) used once each; "
        "give more rows, fewer iterations, or use mode='cycle' to reuse them"
    ]


def test_a_share_run_out_in_some_workers_names_them() -> None:
    feeds = FeedsRunOut(3)
    feeds.take(3, PER_VU.format(n=333, vu=9))
    feeds.take(1, PER_VU.format(n=334, vu=4))
    (line,) = feeds.lines()
    assert "ran out: 667 of the 1,000 row(s) (the shares of worker(s) 1, 3 of 3), and per-vu" in line
    assert "this worker" not in line and "for VU" not in line


def test_imbalance_is_judged_scenario_by_scenario() -> None:
    # A 1-VU scenario on worker 1 only beside 101 arrivals dealt to both: requests 27,072 to 51, no imbalance.
    done = [{"vus": 27_021, "rate": 51}, {"rate": 50}]
    parts = [[1, 51], [0, 50]]
    assert scenario_imbalance_pct(["vus", "rate"], done, parts) == 0.0
    assert deviation_pct([(27_072, 0.502), (101, 0.498)]) == 99.3  # what summing the units read
    assert scenario_imbalance_pct(["rate"], [{"rate": 75}, {"rate": 25}], [[50], [50]]) == 50.0
    assert scenario_imbalance_pct(["vus"], [{"vus": 10}, {}], [[1], [0]]) is None  # nothing to compare


def test_counting_warnings_of_several_workers_are_one_line_with_their_counts_added() -> None:
    counted = CountedWarnings()
    for line in (
        "grpc_unavailable x37: Connection refused",
        "grpc_unavailable x40: Connection refused",
        "grpc_deadline_exceeded x2: Deadline Exceeded",
        "3 more failed gRPC calls with other statuses or details",
        "4 more failed gRPC calls with other statuses or details",
        "1 gRPC streams were never read, so never called: iterate a stream",
        "ws_server_error: the server closed 170 connections with 1011 'bye'",
        "ws_server_error: the server closed 1 connection with 1011 'bye'",
        "ws_abnormal: 1,200 connections lost without a close frame (1006: the server died, a proxy cut it)",
        "ws_abnormal: 1 connection lost without a close frame (1006: the server died, a proxy cut it)",
        "protocol: 2 connections dropped for breaking the WebSocket protocol: reserved bits set",
        "12 WebSocket messages were dropped unread: a connection keeps the last 1,000",
        "3 WebSocket messages were dropped unread: a connection keeps the last 1,000",
    ):
        assert counted.take(line)
    assert not counted.take("the server allows at most 8 concurrent streams per connection")
    assert not counted.take("ws_handshake connecting to ws://127.0.0.1:1/x: 3 retries")
    assert not counted.take("grpc_unavailable x37 without its details")
    assert counted.lines() == [
        "grpc_unavailable x77: Connection refused",
        "grpc_deadline_exceeded x2: Deadline Exceeded",
        "7 more failed gRPC calls with other statuses or details",
        "1 gRPC streams were never read, so never called: iterate a stream",
        "ws_server_error: the server closed 171 connections with 1011 'bye'",
        "ws_abnormal: 1,201 connections lost without a close frame (1006: the server died, a proxy cut it)",
        "protocol: 2 connections dropped for breaking the WebSocket protocol: reserved bits set",
        "15 WebSocket messages were dropped unread: a connection keeps the last 1,000",
    ]

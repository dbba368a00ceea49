"""The one-liner's open model (engine/open.py) in virtual time: exact arrivals, drops and backoff."""

from __future__ import annotations

from loadpulse.metrics.recorder import Recorder
from tests.engine.load_fakes import NAME, open_load, run_load
from tests.protocols.mock_net import MockNet, Pause, ok, run_on

S = 1_000_000_000
MS = 1_000_000


def test_every_arrival_is_sent_on_schedule_and_timed_from_it() -> None:
    net = MockNet(lambda conn, i, req: [Pause(0.005), ok()])
    recorder = Recorder()
    driver = open_load(recorder, rate=100, requests=1000)
    ended = run_on(net, lambda: run_load(driver))
    rec = recorder.for_name(NAME)
    assert list(rec.status) == [200] * 1000 and recorder.dropped == 0
    assert all(5000 <= lat <= 5001 for lat in rec.lat)  # µs, from each intended start
    assert list(rec.svc) == list(rec.lat)  # nothing held any request back
    assert net.connections == 1  # one keep-alive connection keeps up with 100/s at 5 ms
    assert 9_990 * MS <= ended <= 10_100 * MS


def test_arrivals_beyond_max_in_flight_are_dropped_not_queued() -> None:
    # 10/s, at most 2 in flight, answers after 0.95 s: each second 2 are sent and 8 dropped.
    net = MockNet(lambda conn, i, req: [Pause(0.95), ok()])
    recorder = Recorder()
    driver = open_load(recorder, rate=10, requests=50, max_in_flight=2, warm=2)
    run_on(net, lambda: run_load(driver))
    assert list(recorder.for_name(NAME).status) == [200] * 10
    assert recorder.dropped == 40


def test_a_stalled_target_leaves_its_requests_unfinished_at_the_end() -> None:
    # Replaces a wall-clock run against a stalling server: 51 arrivals in 1 s, 5 in flight forever.
    net = MockNet(lambda conn, i, req: [Pause(3600)])
    recorder = Recorder()
    driver = open_load(recorder, rate=50, max_in_flight=5, warm=5)
    run_on(net, lambda: run_load(driver, stop_after_s=1.0002, grace_s=0.2))
    assert (driver.abandoned, recorder.dropped) == (5, 46)
    assert recorder.for_name(NAME).errors == {"unfinished": 5}


def test_a_refused_target_counts_every_arrival_and_backs_off() -> None:
    # 2000/s for 1 s against a refused port: every arrival counted (failed or dropped), while connects
    # are only tried between pauses of 10 ms doubling to 1 s.
    net = MockNet(lambda conn, i, req: [ok()], refuse=True)
    recorder = Recorder()
    driver = open_load(recorder, rate=2000, warm=5)
    run_on(net, lambda: run_load(driver, stop_after_s=1.0002, grace_s=0.2))
    errors = recorder.for_name(NAME).errors
    assert set(errors) == {"connect_refused"}
    assert errors["connect_refused"] + recorder.dropped == 2001
    assert net.attempts <= 5 + 10  # the warm-up, then one try per pause (0.01 + 0.02 + ... 0.64 s)

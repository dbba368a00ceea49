"""The one-liner's closed model (engine/closed.py) in virtual time: requests counted exactly."""

from __future__ import annotations

from loadpulse.metrics.recorder import Recorder
from tests.engine.load_fakes import NAME, closed_load, run_load
from tests.protocols.mock_net import MockNet, Pause, ok, run_on

S = 1_000_000_000
MS = 1_000_000


def test_a_request_budget_is_spent_exactly_across_connections() -> None:
    net = MockNet(lambda conn, i, req: [Pause(0.1), ok()])
    recorder = Recorder()
    ended = run_on(net, lambda: run_load(closed_load(recorder, connections=3, requests=30)))
    rec = recorder.for_name(NAME)
    assert list(rec.status) == [200] * 30 and net.connections == 3
    assert all(100_000 <= lat <= 100_001 for lat in rec.lat)  # µs from the send: closed model
    assert len(rec.svc) == 0  # service time is the open model's second view
    assert 1 * S <= ended < 1 * S + 1 * MS  # 10 rounds of 0.1 s


def test_each_connection_sends_the_moment_its_response_ends() -> None:
    # 3 connections, 0.3 s per response, stopped at 2 s with grace: sends at 0, 0.3 ... 1.8 s (7 each),
    # and those in flight at the stop complete.
    net = MockNet(lambda conn, i, req: [Pause(0.3), ok()])
    recorder = Recorder()
    driver = closed_load(recorder, connections=3)
    run_on(net, lambda: run_load(driver, stop_after_s=2.0, grace_s=5))
    rec = recorder.for_name(NAME)
    assert (list(rec.status), rec.errors, driver.abandoned) == ([200] * 21, {}, 0)


def test_requests_in_flight_past_the_grace_are_unfinished() -> None:
    net = MockNet(lambda conn, i, req: [Pause(0.3), ok()])
    recorder = Recorder()
    driver = closed_load(recorder, connections=3)
    ended = run_on(net, lambda: run_load(driver, stop_after_s=2.0, grace_s=0.05))
    rec = recorder.for_name(NAME)
    assert (len(rec.status), rec.errors, driver.abandoned) == (18, {"unfinished": 3}, 3)
    assert 2050 * MS <= ended <= 2070 * MS  # the grace, checked every 10 ms


def test_a_refused_target_spends_the_budget_with_backoff_between_tries() -> None:
    net = MockNet(lambda conn, i, req: [ok()], refuse=True)
    recorder = Recorder()
    ended = run_on(net, lambda: run_load(closed_load(recorder, connections=1, requests=5)))
    assert recorder.for_name(NAME).errors == {"connect_refused": 5} and net.attempts == 5
    assert 150 * MS <= ended < 151 * MS  # paused 10 + 20 + 40 + 80 ms between the five tries

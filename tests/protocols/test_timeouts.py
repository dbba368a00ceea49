"""The one timeout rule (protocols/http/timeouts.py): total from the intended start, else from the send."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from loadpulse.clock import REAL_CLOCK, VirtualClock
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.client import HttpClient, HttpSession
from loadpulse.protocols.http.connection import HttpConnection
from loadpulse.protocols.http.timeouts import TimeoutWatch
from tests.protocols.mock_net import URL, MockNet, Pause, run_on

S = 1_000_000_000


@pytest.mark.parametrize(
    ("intended", "sent", "last_rx", "now", "overdue"),
    [
        (0, 10 * S, 11 * S + S // 2, 12 * S, False),  # no intended start: 2 s since the send, within 3 s
        (0, 10 * S, 12 * S, 13 * S + 1, True),  # 3 s since the send, though bytes came 1 s ago
        (8 * S, 10 * S, 12 * S, 11 * S + 1, True),  # 3 s since it should have been sent (open model)
        (8 * S, 10 * S, 10 * S, 10 * S + S // 2, False),
        (0, 10 * S, 10 * S, 11 * S + 1, True),  # read timeout: 1 s of silence
    ],
)
def test_overdue_table(intended: int, sent: int, last_rx: int, now: int, overdue: bool) -> None:
    watch = TimeoutWatch(read_s=1, total_s=3, clock=REAL_CLOCK)
    conn = SimpleNamespace(intended_ns=intended, sent_ns=sent, last_rx_ns=last_rx)
    assert watch.overdue(cast(HttpConnection, conn), now) is overdue


def test_scripted_request_late_on_its_schedule_times_out_from_its_intended_start() -> None:
    recorder = Recorder()
    clock = VirtualClock()

    async def main() -> None:
        session = HttpSession(URL, recorder, read_timeout_s=10, total_timeout_s=2, clock=clock)
        session.start()
        client = HttpClient(session)
        await clock.sleep(5)
        client.intended_ns = clock.now_ns() - int(1.5 * S)  # the iteration was due 1.5 s ago
        response = await client.get("/")
        assert response.error == "timeout"
        session.close()

    run_on(MockNet(lambda conn, i, req: [Pause(3600)]), main)
    rec = recorder.for_name("GET /")
    assert rec.errors == {"timeout": 1}
    # Given up 2 s after the intended start (within the 0.1 s sweep), about 0.5 s after the send.
    assert 2_000_000 <= rec.lat[0] <= 2_100_000 and 500_000 <= rec.svc[0] <= 600_000

"""Pings a connection's end cuts short: failed requests of the end's kind, raised in their ``ping()``."""

from __future__ import annotations

import asyncio

from loadpulse.metrics.recorder import NameRecorder
from loadpulse.protocols.ws.pending import cut_pings, waiting_pings


def test_a_waiting_ping_cut_short_is_a_failed_request_and_a_timed_out_one_is_not_counted_again() -> None:
    async def main() -> tuple[NameRecorder, list[asyncio.Future[float]]]:
        loop = asyncio.get_running_loop()
        rec = NameRecorder()
        waiting, timed_out = loop.create_future(), loop.create_future()
        timed_out.cancel()  # ping()'s timeout cancels its wait (already counted as a timeout there)
        pings = [(timed_out, 1, rec), (waiting, 2, rec)]
        assert waiting_pings(pings) and not waiting_pings(pings[:1])
        cut_pings(pings, "ws_abnormal", ConnectionError("closed"))
        assert pings == []
        return rec, [waiting]

    rec, (waiting,) = asyncio.run(main())
    assert rec.errors == {"ws_abnormal": 1} and rec.ends == {}
    assert isinstance(waiting.exception(), ConnectionError)

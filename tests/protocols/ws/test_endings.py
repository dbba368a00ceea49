"""How connections ended, told once per kind and code, bounded however many ways they ended."""

from __future__ import annotations

from loadpulse.protocols.ws.endings import MAX_DISTINCT, Endings


def test_one_line_per_kind_and_code_with_the_servers_reason() -> None:
    endings = Endings()
    for _ in range(76):
        endings.note("ws_closed", 4000, "bye")
    endings.note("ws_closed", 1005, "")
    endings.note("ws_abnormal", 1006, "")
    endings.note("protocol", 1006, "a text message that is not UTF-8")
    assert endings.warnings() == [
        "ws_closed: the server closed 76 connections with 4000 'bye'",
        "ws_closed: the server closed 1 connection with 1005 (no code)",
        "ws_abnormal: 1 connection lost without a close frame (1006: the server died, a proxy cut it)",
        "protocol: 1 connection dropped for breaking the WebSocket protocol: "
        "a text message that is not UTF-8",
    ]


def test_past_the_bound_the_rest_are_summed_up() -> None:
    endings = Endings()
    for code in range(3000, 3000 + MAX_DISTINCT + 5):
        endings.note("ws_closed", code, "x" * 500)
    lines = endings.warnings()
    assert len(lines) == MAX_DISTINCT + 1 and len(lines[0]) < 200
    assert lines[-1] == "5 more connection ends, of other kinds and codes, are in the error counts"

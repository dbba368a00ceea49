"""How a WebSocket connection ended, as an error kind."""

from __future__ import annotations

import pytest

from loadpulse.protocols.ws.close_codes import close_kind, parse_close, valid_close_code


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1000, None),
        (1001, "ws_going_away"),
        (1012, "ws_going_away"),
        (1006, "ws_abnormal"),
        (1011, "ws_server_error"),
        (1013, "ws_server_error"),
        (1014, "ws_server_error"),
        (1002, "ws_closed"),
        (1005, "ws_closed"),
        (1008, "ws_closed"),
        (3000, "ws_closed"),
        (4999, "ws_closed"),
    ],
)
def test_each_close_code_has_one_kind_and_only_1000_is_none(code: int, kind: str | None) -> None:
    assert close_kind(code) == kind


def test_a_close_payload_gives_its_code_and_reason() -> None:
    assert parse_close(b"\x0f\xa0bye") == (4000, "bye")
    assert parse_close(b"\x03\xe8") == (1000, "")
    assert parse_close(b"") == (1005, "")  # a close frame without a code
    assert parse_close(b"\x03\xf3\xff") == (1011, "\ufffd")  # a reason that is not UTF-8 still closes


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1014, 3000, 4999])
def test_codes_a_client_may_send(code: int) -> None:
    assert valid_close_code(code)


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 2000, 5000, True, "1000", 1000.0])
def test_reserved_and_malformed_codes_are_refused(code: object) -> None:
    assert not valid_close_code(code)

"""How a WebSocket connection ended, as one of a small fixed set of error kinds (pure).

A close the script asked for (``ws.close()``, leaving ``async with``) and a server's normal close (1000)
are not failures. Everything else the server did to end a connection is counted once, under the kind
of its close code: on the requests (``request()``) it cut short, or on the connection's name when none waited
(there as an error that is not a request: it adds to no request count):

=================  ===============================================================================
kind               close codes
=================  ===============================================================================
``ws_abnormal``    1006: the connection was lost without a close frame (the server process died, a
                   proxy cut it, a reset)
``ws_going_away``  1001 going away, 1012 service restart: the server is shutting down or restarting
``ws_server_error`` 1011 internal error, 1013 try again later, 1014 bad gateway
``ws_closed``      any other code: protocol and policy closes (1002, 1003, 1007 … 1010), 1005 (a
                   close frame without a code is not 1000), application codes 3000-4999
=================  ===============================================================================
"""

from __future__ import annotations

from loadpulse.metrics.error_kinds import ErrorKind

NORMAL = 1000
NO_STATUS = 1005
"""A close frame that carried no code (RFC 6455 7.4.1: never sent on the wire, reported for it)."""
ABNORMAL = 1006
"""No close frame at all (RFC 6455 7.4.1: never sent on the wire, reported for it)."""

_GOING_AWAY = frozenset({1001, 1012})
_SERVER_ERROR = frozenset({1011, 1013, 1014})


def close_kind(code: int) -> str | None:
    """The error kind of a connection the server ended with ``code``; None for a normal close."""
    if code == NORMAL:
        return None
    if code == ABNORMAL:
        return ErrorKind.WS_ABNORMAL.value
    if code in _GOING_AWAY:
        return ErrorKind.WS_GOING_AWAY.value
    if code in _SERVER_ERROR:
        return ErrorKind.WS_SERVER_ERROR.value
    return ErrorKind.WS_CLOSED.value


def parse_close(payload: bytes) -> tuple[int, str]:
    """(code, reason) of a close frame's payload: 1005 when it has no code; a reason that is not UTF-8
    is shown with replacement characters rather than failing the close."""
    if len(payload) < 2:
        return NO_STATUS, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace")


def valid_close_code(code: object) -> bool:
    """Whether a client may send ``code`` (RFC 6455 7.4: 1000, 1001, 1002 … 1003, 1007 … 1014 and
    3000-4999; 1004-1006 and 1015 are reserved and never sent)."""
    if not isinstance(code, int) or isinstance(code, bool):
        return False
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999

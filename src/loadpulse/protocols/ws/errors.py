"""What a script sees when a WebSocket connection fails: already counted, so ``async with`` absorbs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadpulse.protocols.ws.connection import WsConnection


class WsError(Exception):
    """A failure already counted under an error kind; leaving the connection's ``async with`` with it
    ends the block quietly (the iteration goes on after it), so it is not counted again as a script error."""

    def __init__(self, message: str, connection: WsConnection) -> None:
        super().__init__(message)
        self.connection = connection


class Closed(WsError):
    """The connection is closed (or never opened): ``code`` and ``reason`` say how."""

    def __init__(self, connection: WsConnection) -> None:
        code = connection.close_code
        why = connection.error or ("closed" if code is None else f"closed with code {code}")
        reason = f" ({connection.close_reason})" if connection.close_reason else ""
        super().__init__(f"{connection.name}: {why}{reason}", connection)
        self.code = code
        self.reason = connection.close_reason


class RequestTimeout(WsError, TimeoutError):
    """No reply to ``request()`` within its timeout (counted as ``timeout`` on the request's name)."""

"""How an HTTP status counts: the HTTP protocol's classifier for the protocol-neutral recorder.

The recorder only keeps status codes; each protocol says which codes are failures and of which kind
(``Recorder.for_name(name, status_kind)``), so gRPC or WebSocket close codes can plug in their own.
"""

from __future__ import annotations

from loadpulse.metrics.error_kinds import ErrorKind


def http_status_kind(status: int) -> str | None:
    """The error kind an HTTP status counts as, or None when it is a success."""
    if status >= 500:
        return ErrorKind.HTTP_5XX.value
    if status >= 400:
        return ErrorKind.HTTP_4XX.value
    return None

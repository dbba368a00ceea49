"""The fixed vocabulary of failure kinds (DESIGN.md "Error kinds").

Every failed attempt is counted under exactly one kind, so summaries from different processes, runs and
tools line up. ``script_error`` entries may carry a detail suffix (``script_error:KeyError@file.py:12``).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    CONNECT_REFUSED = "connect_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    FD_LIMIT = "fd_limit"
    """The generator ran out of file descriptors (EMFILE/ENFILE) opening a connection: a local limit,
    not the target's fault (raise ``ulimit -n`` or lower ``-c``/``--max-in-flight``)."""
    TIMEOUT = "timeout"
    RESET = "reset"
    """The peer reset the connection (RST) while a response was awaited."""
    PREMATURE_EOF = "premature_eof"
    """The peer closed the connection (FIN) before the response was complete."""
    UNFINISHED = "unfinished"
    """Still in flight when the run ended (grace period over): a request that got no answer in time."""
    TLS = "tls"
    PROTOCOL = "protocol"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    """Which statuses are failures is the protocol's call: ``protocols/http/status.py`` for HTTP."""
    CHECK_FAILED = "check_failed"
    SCRIPT_ERROR = "script_error"
    DROPPED = "dropped"

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
    WS_HANDSHAKE = "ws_handshake"
    """The server did not switch to WebSocket: it answered the upgrade with another HTTP status (not a
    WebSocket endpoint, refused) or with something that is not an HTTP answer."""
    WS_ABNORMAL = "ws_abnormal"
    """A WebSocket connection lost without a close frame (close code 1006): the server died, a proxy cut."""
    WS_GOING_AWAY = "ws_going_away"
    """The server closed a WebSocket connection with 1001 (going away) or 1012 (service restart)."""
    WS_SERVER_ERROR = "ws_server_error"
    """The server closed a WebSocket connection with 1011 (internal error), 1013 (try again later) or
    1014 (bad gateway)."""
    WS_CLOSED = "ws_closed"
    """The server closed a WebSocket connection with any other code than 1000 (protocol and policy
    closes, 1005 without a code, application codes 3000-4999); see ``protocols/ws/close_codes.py``."""
    H2_RST_STREAM = "h2_rst_stream"
    """HTTP/2: the server reset the stream (RST_STREAM) before its response ended. REFUSED_STREAM before
    any response byte is resent instead (twice at most: the server did not process it)."""
    H2_GOAWAY = "h2_goaway"
    """HTTP/2: the server's GOAWAY ended the stream: an error GOAWAY, the connection closed after a GOAWAY
    with the stream unanswered, or a stream above the GOAWAY's last id that could not be resent (twice)."""


GRPC_STATUS_PREFIX = "grpc_"
"""A gRPC call that ends with a status other than OK is counted as ``grpc_<status>``: the status code's name
in lower case, one kind per code of the gRPC spec (``grpc_cancelled``, ``grpc_unknown``,
``grpc_invalid_argument``, ``grpc_deadline_exceeded`` (the call's deadline: ``--timeout`` or its own),
``grpc_not_found``, ``grpc_already_exists``, ``grpc_permission_denied``, ``grpc_resource_exhausted``,
``grpc_failed_precondition``, ``grpc_aborted``, ``grpc_out_of_range``, ``grpc_unimplemented``,
``grpc_internal``, ``grpc_unavailable`` (a refused or lost connection too), ``grpc_data_loss``,
``grpc_unauthenticated``). A family rather than 16 members: each is the code's own name, made in one place
(``protocols/grpc/plugin.py``)."""

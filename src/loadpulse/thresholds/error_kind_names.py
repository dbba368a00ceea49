"""Which names ``errors.<kind>.count`` may name (pure): the kinds something records, so a misspelt kind is
an error with a suggestion rather than a count of 0 that always passes.

The vocabulary is :class:`~loadpulse.metrics.error_kinds.ErrorKind` (HTTP, HTTP/2, WebSocket, checks,
scripts, dropped arrivals) and the gRPC family ``grpc_<status>`` (``GRPC_STATUS_PREFIX`` and one status
name of the gRPC spec, the codes other than OK). No kind is made from a status number: HTTP statuses count
as ``http_4xx``/``http_5xx``. ``script_error`` is counted whole: the exception and line of each script error
are in the summary's ``scenarios.NAME.script_errors``, not in ``errors``, so there is no
``script_error:<detail>`` kind to name (nor could the expression grammar write one).
"""

from __future__ import annotations

import difflib

from loadpulse.metrics.error_kinds import GRPC_STATUS_PREFIX, ErrorKind

GRPC_STATUS_NAMES = (
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
)
"""grpc.StatusCode's names other than OK, in lower case, in code order (kept here so that checking a
threshold never imports grpc, an optional dependency; a test holds the two together)."""

KNOWN_ERROR_KINDS = (
    *(k.value for k in ErrorKind),
    *(GRPC_STATUS_PREFIX + name for name in GRPC_STATUS_NAMES),
)


def error_kind_problem(kind: str) -> str | None:
    """None when something may record ``kind``; else the one-line problem, with the closest known kind."""
    if kind in KNOWN_ERROR_KINDS:
        return None
    close = difflib.get_close_matches(kind.lower(), KNOWN_ERROR_KINDS, n=1, cutoff=0.6)
    if close:
        return f"unknown error kind {kind!r}; did you mean {close[0]!r}?"
    plain = ", ".join(k.value for k in ErrorKind)
    return (
        f"unknown error kind {kind!r}: use one of {plain}, or {GRPC_STATUS_PREFIX}<status> "
        f"({GRPC_STATUS_PREFIX}unavailable, {GRPC_STATUS_PREFIX}deadline_exceeded, …)"
    )

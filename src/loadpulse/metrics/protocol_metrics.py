"""The custom metrics protocols record on their own (pure): known to thresholds without a declaration.

A scenario declares its own custom metrics (``metrics = {"queue_length": "trend"}``) so that a threshold
can name them before any value exists. The ones a protocol records by itself (a WebSocket feed's gaps, a
gRPC stream's messages) are the tool's, not the user's: asking users to declare them would make
``-t 'ws_push_gap_ms.p99 < 250'`` fail on the command line for no reason they could guess. One table, so
the protocol modules, the threshold parser and the docs cannot disagree on a name or its kind.
"""

from __future__ import annotations

from collections.abc import Mapping

WS_MSGS_SENT = "ws_msgs_sent"
WS_MSGS_RECEIVED = "ws_msgs_received"
WS_BYTES_SENT = "ws_bytes_sent"
WS_BYTES_RECEIVED = "ws_bytes_received"
WS_PUSH_GAP_MS = "ws_push_gap_ms"
"""Milliseconds between two messages of one connection that no ``request()`` claimed (a feed's rhythm)."""
GRPC_STREAM_MESSAGES = "grpc_stream_messages"
GRPC_STREAM_GAP_MS = "grpc_stream_gap_ms"

BUILTIN: Mapping[str, str] = {
    WS_MSGS_SENT: "counter",
    WS_MSGS_RECEIVED: "counter",
    WS_BYTES_SENT: "counter",
    WS_BYTES_RECEIVED: "counter",
    WS_PUSH_GAP_MS: "trend",
    GRPC_STREAM_MESSAGES: "trend",
    GRPC_STREAM_GAP_MS: "trend",
}


def with_builtin(declared: Mapping[str, str] | None) -> dict[str, str]:
    """The metrics a threshold may name: the protocols' own, and the file's (a declaration wins)."""
    return {**BUILTIN, **(declared or {})}

from __future__ import annotations

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.protocol_metrics import BUILTIN, with_builtin
from loadpulse.protocols.grpc import stream
from loadpulse.protocols.ws import plugin
from loadpulse.thresholds.declared import parse_thresholds


def test_the_protocols_record_under_the_names_of_the_table() -> None:
    recorded = {*plugin.COUNTERS, plugin.PUSH_GAP, stream.MESSAGES, stream.GAP_MS}
    assert recorded == set(BUILTIN)
    assert all(BUILTIN[name] == "counter" for name in plugin.COUNTERS)


def test_thresholds_name_protocol_metrics_without_a_declaration() -> None:
    (gap,) = parse_thresholds(["ws_push_gap_ms.p99 < 250"])
    assert (gap.metric.source, gap.metric.subject) == ("custom", "ws_push_gap_ms")
    (sent,) = parse_thresholds(["ws_msgs_sent.rate > 100"])
    assert sent.metric.subject == "ws_msgs_sent"


def test_a_declaration_wins_and_unknown_names_stay_unknown() -> None:
    assert with_builtin({"ws_push_gap_ms": "counter"})["ws_push_gap_ms"] == "counter"
    with pytest.raises(BadInput, match="unknown metric"):
        parse_thresholds(["ws_push_gapp_ms.p99 < 250"])

"""``errors.<kind>.count`` names a kind something records: a misspelt kind is bad input (with the closest
kind and a caret under it), never a count of 0 that always passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from loadpulse.metrics.error_kinds import GRPC_STATUS_PREFIX, ErrorKind
from loadpulse.protocols.http.status import http_status_kind
from loadpulse.protocols.ws.close_codes import close_kind
from loadpulse.thresholds.error_kind_names import GRPC_STATUS_NAMES, KNOWN_ERROR_KINDS
from loadpulse.thresholds.parser import ThresholdError
from loadpulse.thresholds.threshold import build_threshold


def test_the_grpc_family_is_grpcs_own_status_names() -> None:
    # What protocols/grpc/plugin.py records: GRPC_STATUS_PREFIX + every StatusCode's name but OK's.
    recorded = {GRPC_STATUS_PREFIX + c.name.lower() for c in grpc.StatusCode if c != grpc.StatusCode.OK}
    assert {GRPC_STATUS_PREFIX + n for n in GRPC_STATUS_NAMES} == recorded


def recorded_kinds() -> set[str]:
    """Every kind the protocols can record, from their own classifiers."""
    kinds = {k.value for k in ErrorKind}
    kinds |= {GRPC_STATUS_PREFIX + c.name.lower() for c in grpc.StatusCode if c != grpc.StatusCode.OK}
    kinds |= {k for code in range(100, 600) if (k := http_status_kind(code))}
    kinds |= {k for code in range(1000, 5000) if (k := close_kind(code))}
    return kinds


@pytest.mark.parametrize("kind", sorted(recorded_kinds()))
def test_every_recorded_kind_is_accepted(kind: str) -> None:
    assert kind in KNOWN_ERROR_KINDS
    t = build_threshold(f"errors.{kind}.count == 0")
    assert (t.metric.source, t.metric.subject) == ("error_kind", kind)


@pytest.mark.parametrize(
    ("expr", "message", "at"),
    [
        ("errors.grpc_unavailible.count == 0", "did you mean 'grpc_unavailable'?", "grpc_unavailible"),
        ("errors.http_404.count == 0", "did you mean 'http_4xx'?", "http_404"),
        ("errors{name=GET /errors.x}.timout.count < 5", "did you mean 'timeout'?", "timout"),
        ("errors.bogus_kind.count == 0", "use one of connect_refused,", "bogus_kind"),
        ("errors.grpc_ok.count == 0", "unknown error kind 'grpc_ok'", "grpc_ok"),  # OK is no error
    ],
)
def test_an_unknown_kind_is_an_error_under_the_kind(expr: str, message: str, at: str) -> None:
    with pytest.raises(ThresholdError) as info:
        build_threshold(expr)
    assert message in info.value.message and "unknown error kind" in info.value.message
    assert info.value.pos == expr.rindex(at)
    assert info.value.caret().splitlines()[1].index("^") - 2 == expr.rindex(at)


def test_the_one_liner_says_it_and_exits_2(cli: Callable[..., Any]) -> None:
    r = cli("http", "http://127.0.0.1:1/", "-n", "1", "-t", "errors.grpc_unavailible.count == 0")
    assert r.code == 2
    assert "did you mean 'grpc_unavailable'?" in r.err and "Traceback" not in r.err
    assert "\n  errors.grpc_unavailible.count == 0\n         ^" in r.err

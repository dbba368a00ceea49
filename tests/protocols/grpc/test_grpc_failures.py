"""ctx.grpc's input checks, and how failures are counted and told (issue 15's adversarial findings)."""

from __future__ import annotations

import gc
import socket
from typing import Any

import pytest

from loadpulse.clock import REAL_CLOCK
from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.grpc.plugin import GrpcClient
from loadpulse.protocols.session import SessionSettings
from tests.protocols.grpc.echo_target import PROTO, grpc_target
from tests.protocols.grpc.test_grpc_calls import FEED, SAY, on_uvloop

__all__ = ["grpc_target"]


class SleepLog:
    """The real clock, with the sleeps asked of it written down."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def now_ns(self) -> int:
        return REAL_CLOCK.now_ns()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def sleep_until(self, deadline_ns: int) -> None:
        await REAL_CLOCK.sleep_until(deadline_ns)


def test_metadata_is_lowercased_encoded_or_refused_before_any_call(grpc_target: str) -> None:
    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        r = await grpc(grpc_target, str(PROTO), metadata={"X-Tenant": "a", "x-bin": "abc"}).call(SAY, {})
        assert r.ok
        assert (await grpc(grpc_target, str(PROTO)).call(SAY, {}, metadata=[("Trace-Bin", b"\xff")])).ok
        for bad, said in [
            ({"x": 1}, "value of 'x' must be a str, not int"),
            ({"x y": "a"}, "key 'x y' is not a gRPC metadata key"),
            ({"x": "é"}, "value of 'x' must be printable ASCII"),
            ({"x-bin": 3}, "value of 'x-bin' must be bytes"),
            ("x: y", "must be a dict or (key, value) pairs, not str"),
        ]:
            with pytest.raises(BadInput) as err:
                await grpc(grpc_target, str(PROTO)).call(SAY, {}, metadata=bad)
            assert said in str(err.value)

    rec = on_uvloop(calls)
    assert rec.names[SAY].done == 2 and not rec.names[SAY].errors


@pytest.mark.parametrize("timeout", [0, -1.0, "1"])
def test_a_calls_own_timeout_must_be_positive(grpc_target: str, timeout: Any) -> None:
    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        with pytest.raises(BadInput, match="timeout must be a number of seconds > 0"):
            await grpc(grpc_target, str(PROTO)).call(SAY, {}, timeout=timeout)
        with pytest.raises(BadInput, match="timeout must be a number of seconds > 0"):
            grpc(grpc_target, str(PROTO)).stream(FEED, {}, timeout=timeout)

    assert not on_uvloop(calls).names[SAY].errors


def test_a_servers_deadline_status_is_a_failed_reply_and_details_are_told(grpc_target: str) -> None:
    settings = SessionSettings()

    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        for _ in range(3):
            r = await grpc(grpc_target, str(PROTO)).call(SAY, {"fail": "DEADLINE_EXCEEDED"})
            assert r.code == "DEADLINE_EXCEEDED"

    rec = on_uvloop(calls, settings=settings)
    assert rec.names[SAY].errors == {"grpc_deadline_exceeded": 3}
    assert len(rec.names[SAY].lat) == 0  # not a timeout of the client's: not given up on
    assert settings.warnings == ["grpc_deadline_exceeded x3: asked to fail with DEADLINE_EXCEEDED"]


def test_calls_to_a_refused_target_back_off_and_a_success_resets(grpc_target: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    clock = SleepLog()
    settings = SessionSettings(clock=clock)

    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        for _ in range(4):
            assert (await grpc(f"127.0.0.1:{port}", str(PROTO)).call(SAY, {})).code == "UNAVAILABLE"
        assert grpc.failures == 4
        assert (await grpc(grpc_target, str(PROTO)).call(SAY, {"fail": "UNAVAILABLE"})).code == "UNAVAILABLE"
        assert grpc.failures == 4  # the server's own status: the connection is up, no pause
        assert (await grpc(grpc_target, str(PROTO)).call(SAY, {})).ok
        assert grpc.failures == 0

    rec = on_uvloop(calls, settings=settings)
    assert clock.slept == [0.01, 0.02, 0.04, 0.08]
    assert rec.names[SAY].errors == {"grpc_unavailable": 5}
    refused = [w for w in settings.warnings if w.startswith("grpc_unavailable x4: failed to connect")]
    assert len(refused) == 1 and "Connection refused" in refused[0]


def test_streams_never_read_make_no_call_and_streams_dropped_are_cancelled(grpc_target: str) -> None:
    settings = SessionSettings()

    async def streams(grpc: GrpcClient, rec: Recorder) -> None:
        echo = grpc(grpc_target, str(PROTO))
        for _ in range(3):
            echo.stream(FEED, {"count": 3})  # never read: no RPC at all
        async for item in echo.stream(FEED, {"count": 1000, "interval_ms": 5}):
            if item.seq == 1:
                break  # outside async with: cancelled as it is freed
        gc.collect()
        assert grpc.session.in_flight() == 0
        with pytest.raises(ValueError, match="boom"):
            async with echo.stream(FEED, {"count": 1000, "interval_ms": 5}) as s:
                async for _ in s:
                    raise ValueError("boom")
        assert s.code == "CANCELLED" and grpc.session.in_flight() == 0

    rec = on_uvloop(streams, settings=settings)
    # The script's exception is the engine's to count: the stream adds neither done nor unfinished.
    assert rec.names[FEED].done == 0 and not rec.names[FEED].errors
    assert "3 gRPC streams were never read, so never called: iterate a stream" in "".join(settings.warnings)
    assert any(
        w.startswith("1 gRPC streams were left before their end outside `async with`")
        for w in settings.warnings
    )


def test_a_target_port_out_of_range_is_bad_input() -> None:
    from loadpulse.protocols.grpc.plugin import check_target

    with pytest.raises(BadInput, match="the port must be 1 to 65535"):
        check_target("127.0.0.1:99999")
    with pytest.raises(BadInput, match="the port must be 1 to 65535"):
        check_target("127.0.0.1:0")


def test_the_receive_limit_can_be_set_and_a_reply_over_it_says_why(grpc_target: str) -> None:
    settings = SessionSettings()

    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        small = grpc(grpc_target, str(PROTO), max_message_bytes=10)
        assert (await small.call(SAY, {"text": "x" * 100})).code == "RESOURCE_EXHAUSTED"
        assert (await small.call(SAY, {"text": "x"})).ok
        assert (await grpc(grpc_target, str(PROTO)).call(SAY, {"text": "x" * 100})).ok  # 4 MiB by default
        with pytest.raises(BadInput, match="max_message_bytes must be a whole number of bytes > 0"):
            grpc(grpc_target, str(PROTO), max_message_bytes=0)

    rec = on_uvloop(calls, settings=settings)
    assert rec.names[SAY].errors == {"grpc_resource_exhausted": 1}
    assert len(settings.warnings) == 1
    assert settings.warnings[0].startswith("grpc_resource_exhausted x1: ")
    assert "Received message larger than max (102 vs. 10)" in settings.warnings[0]

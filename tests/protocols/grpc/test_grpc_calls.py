"""ctx.grpc against the example echo server, on uvloop like a run: what each call records."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import uvloop

from loadpulse.errors import BadInput
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.grpc.plugin import GrpcClient, GrpcProtocol
from loadpulse.protocols.grpc.protos import compile_protos
from loadpulse.protocols.grpc.stream import GAP_MS, MESSAGES
from loadpulse.protocols.session import SessionSettings
from tests.protocols.grpc.echo_target import PROTO, echo_pb2, grpc_target

__all__ = ["echo_pb2", "grpc_target"]

SAY = "loadpulse.echo.Echo/Say"
FEED = "loadpulse.echo.Echo/Feed"


def on_uvloop(
    test: Callable[[GrpcClient, Recorder], Awaitable[Any]],
    timeout_s: float = 10.0,
    settings: SessionSettings | None = None,
) -> Recorder:
    """Run ``test`` with one VU's client on a uvloop loop (the run's loop); the session closed after."""
    recorder = Recorder()
    session = GrpcProtocol(settings or SessionSettings(timeout_s=timeout_s), recorder)

    async def body() -> None:
        import asyncio

        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        try:
            await test(session.client(), recorder)
        finally:
            session.close()

    uvloop.run(body())
    assert session.in_flight() == 0
    return recorder


def test_unary_calls_are_recorded_under_the_method_name(grpc_target: str) -> None:
    protos = compile_protos([str(PROTO)])

    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        echo = grpc(grpc_target, protos)
        r = await echo.call("Echo/Say", {"text": "hi"})
        assert r.ok and r.code == "OK" and r.message.text == "hi" and r.json() == {"text": "hi"}
        added = await echo.call("Echo/Add", protos.method("Echo/Add").request(a=2, b=3), name="add")
        assert added.message.sum == 5
        assert grpc(grpc_target, protos) is echo

    rec = on_uvloop(calls)
    assert rec.names[SAY].done == 1 and len(rec.names[SAY].lat) == 1 and not rec.names[SAY].errors
    assert rec.names[SAY].bytes_out == rec.names[SAY].bytes_in == 4  # field tag, length, "hi"
    assert rec.names["add"].done == 1


def test_a_generated_modules_messages_are_requests_and_replies(grpc_target: str, echo_pb2: Any) -> None:
    async def calls(grpc: GrpcClient, rec: Recorder) -> None:
        r = await grpc(grpc_target, echo_pb2).call("Echo/Say", echo_pb2.SayRequest(text="hi"))
        assert r.ok and isinstance(r.message, echo_pb2.SayReply) and r.message.text == "hi"
        compiled = grpc(grpc_target, compile_protos([str(PROTO)]))
        r = await compiled.call("Echo/Say", echo_pb2.SayRequest(text="hey"))  # the same type, built apart
        assert r.ok and r.message.text == "hey"
        with pytest.raises(
            BadInput, match=r"request is a loadpulse\.echo\.AddRequest message, not .*SayRequest"
        ):
            await compiled.call("Echo/Say", echo_pb2.AddRequest())
        with pytest.raises(BadInput, match="not an empty list"):
            grpc(grpc_target, [])

    assert on_uvloop(calls).names[SAY].done == 2


def test_open_model_latency_counts_from_the_intended_start(grpc_target: str) -> None:
    from time import perf_counter_ns

    async def late(grpc: GrpcClient, rec: Recorder) -> None:
        grpc.intended_ns = perf_counter_ns() - 50_000_000  # the call was due 50 ms ago
        await grpc(grpc_target, str(PROTO)).call(SAY, {"text": "x"})

    name = on_uvloop(late).names[SAY]
    assert name.lat[0] >= 50_000 and name.svc[0] < name.lat[0]


@pytest.mark.parametrize(
    ("fail", "kind"),
    [
        ("UNAVAILABLE", "grpc_unavailable"),
        ("INTERNAL", "grpc_internal"),
        ("RESOURCE_EXHAUSTED", "grpc_resource_exhausted"),
    ],
)
def test_a_status_other_than_ok_is_its_error_kind(grpc_target: str, fail: str, kind: str) -> None:
    async def failing(grpc: GrpcClient, rec: Recorder) -> None:
        r = await grpc(grpc_target, str(PROTO)).call("Echo/Say", {"fail": fail})
        assert not r.ok and r.code == fail and r.details == f"asked to fail with {fail}" and r.message is None
        assert r.json() == {}

    rec = on_uvloop(failing)
    assert rec.names[SAY].errors == {kind: 1} and rec.names[SAY].done == 0


def test_the_deadline_is_the_runs_timeout_or_the_calls_own(grpc_target: str) -> None:
    async def slow(grpc: GrpcClient, rec: Recorder) -> None:
        echo = grpc(grpc_target, str(PROTO))
        assert (await echo.call("Echo/Say", {"delay_ms": 2000})).code == "DEADLINE_EXCEEDED"
        assert (
            await echo.call("Echo/Say", {"delay_ms": 2000}, timeout=0.1, name="own")
        ).code == "DEADLINE_EXCEEDED"

    rec = on_uvloop(slow, timeout_s=0.2)
    assert rec.names[SAY].errors == {"grpc_deadline_exceeded": 1}
    assert rec.names["own"].errors == {"grpc_deadline_exceeded": 1}
    # Given up on at the deadline: in the latency record there, as an HTTP timeout is.
    assert 150_000 <= rec.names[SAY].lat[0] < 2_000_000 and 50_000 <= rec.names["own"].lat[0] < 2_000_000


def test_a_method_the_server_lacks_is_unimplemented(grpc_target: str, tmp_path: Path) -> None:
    (tmp_path / "more.proto").write_text(
        PROTO.read_text().replace("rpc Add", "rpc Missing (AddRequest) returns (AddReply);\n  rpc Add")
    )
    protos = compile_protos(["more.proto"], base=str(tmp_path))

    async def missing(grpc: GrpcClient, rec: Recorder) -> None:
        assert (await grpc(grpc_target, protos).call("Echo/Missing", {})).code == "UNIMPLEMENTED"

    assert on_uvloop(missing).names["loadpulse.echo.Echo/Missing"].errors == {"grpc_unimplemented": 1}


def test_nobody_listening_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    async def refused(grpc: GrpcClient, rec: Recorder) -> None:
        assert (await grpc(f"127.0.0.1:{port}", str(PROTO)).call(SAY, {})).code == "UNAVAILABLE"

    assert on_uvloop(refused).names[SAY].errors == {"grpc_unavailable": 1}


def test_a_stream_records_first_message_count_gaps_and_its_end(grpc_target: str) -> None:
    async def feed(grpc: GrpcClient, rec: Recorder) -> None:
        stream = grpc(grpc_target, str(PROTO)).stream("Echo/Feed", {"count": 4, "interval_ms": 20})
        seqs = [item.seq async for item in stream]
        assert seqs == [0, 1, 2, 3] and stream.ok and stream.count == 4

    rec = on_uvloop(feed)
    name = rec.names[FEED]
    assert name.done == 1 and len(name.ttfb) == 1 and name.lat[0] >= 60_000 and name.ttfb[0] < name.lat[0]
    assert list(rec.metrics.trends[MESSAGES]) == [4.0]
    gaps = list(rec.metrics.trends[GAP_MS])
    # Arrival gaps, not the server's 20 ms: a late first read shortens the next gap (so no lower bound).
    assert len(gaps) == 3 and all(g >= 0 for g in gaps)


def test_a_stream_that_ends_with_a_status_counts_it_after_its_messages(grpc_target: str) -> None:
    async def feed(grpc: GrpcClient, rec: Recorder) -> None:
        stream = grpc(grpc_target, str(PROTO)).stream("Echo/Feed", {"count": 2, "fail": "DATA_LOSS"})
        assert [i.seq async for i in stream] == [0, 1]
        assert stream.code == "DATA_LOSS" and not stream.ok and stream.count == 2

    rec = on_uvloop(feed)
    assert rec.names[FEED].errors == {"grpc_data_loss": 1} and rec.names[FEED].done == 0
    assert list(rec.metrics.trends[MESSAGES]) == [2.0]


def test_a_stream_left_early_is_cancelled_and_counts_as_done(grpc_target: str) -> None:
    async def feed(grpc: GrpcClient, rec: Recorder) -> None:
        async with grpc(grpc_target, str(PROTO)).stream("Echo/Feed", {"count": 1000, "interval_ms": 5}) as s:
            async for item in s:
                if item.seq == 2:
                    break
        assert s.ok and s.count == 3

    rec = on_uvloop(feed)
    assert rec.names[FEED].done == 1 and not rec.names[FEED].errors


def test_calling_a_method_the_wrong_way_says_how(grpc_target: str) -> None:
    from loadpulse.errors import BadInput

    async def wrong(grpc: GrpcClient, rec: Recorder) -> None:
        echo = grpc(grpc_target, str(PROTO))
        with pytest.raises(BadInput, match=r"is server-streaming: use ctx\.grpc\(\.\.\.\)\.stream"):
            await echo.call("Echo/Feed", {})
        with pytest.raises(BadInput, match="is not server-streaming"):
            echo.stream("Echo/Say", {})
        with pytest.raises(BadInput, match="protos must be"):
            grpc(grpc_target, 42)

    on_uvloop(wrong)

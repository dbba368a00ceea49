"""FaultProxy in-process, between a plain asyncio client and a small loopback upstream: each fault acts on
the bytes as documented, and faults change under open connections without dropping them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import pytest
import uvloop

from loadpulse.chaos.proxy import FaultProxy, ProxyError
from loadpulse.chaos.proxy_pipe import HIGH_WATER
from loadpulse.faults.proxy_faults import ProxyFaults, parse_proxy_faults
from tests.ports import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
T = TypeVar("T")


class Run(Protocol):
    def __call__(self, coro: Coroutine[Any, Any, T]) -> T: ...


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Each test on both loops: the CLI and the engine run the proxy on uvloop, a library caller maybe not."""
    factory = uvloop.new_event_loop if request.param == "uvloop" else None

    def run_on_loop(coro: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(coro)

    return run_on_loop


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


@dataclass
class Upstream:
    port: int
    accepted: int = 0
    received: list[bytes] = field(default_factory=list)


@asynccontextmanager
async def proxied(
    handler: Handler = echo, faults: ProxyFaults | None = None
) -> AsyncIterator[tuple[FaultProxy, Upstream]]:
    upstream = Upstream(0)

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream.accepted += 1
        await handler(reader, writer)

    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    upstream.port = server.sockets[0].getsockname()[1]
    proxy = FaultProxy(("127.0.0.1", 0), ("127.0.0.1", upstream.port), name="db")
    await proxy.start()
    upstream.accepted = 0  # the start's own check of the upstream
    if faults is not None:
        proxy.apply(faults)
    try:
        yield proxy, upstream
    finally:
        await proxy.close()
        server.close()


async def connect(proxy: FaultProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = proxy.address
    return await asyncio.open_connection(host, port)


async def roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> float:
    start = time.perf_counter()
    writer.write(data)
    assert await reader.readexactly(len(data)) == data
    return time.perf_counter() - start


def test_faults_change_under_an_open_connection_without_dropping_it(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, upstream):
            reader, writer = await connect(proxy)
            await roundtrip(reader, writer, b"plain")
            proxy.apply(parse_proxy_faults({"latency": "100ms"}))
            assert await roundtrip(reader, writer, b"slow") >= 0.1
            proxy.apply(parse_proxy_faults({"latency": "50ms", "direction": "both"}))
            assert await roundtrip(reader, writer, b"both ways") >= 0.1
            proxy.clear()
            await roundtrip(reader, writer, b"plain again")
            stats = proxy.stats()
            assert (stats.connections, stats.open, upstream.accepted) == (1, 1, 1)
            assert stats.bytes_up == stats.bytes_down == len(b"plainslowboth waysplain again")
            writer.close()

    run(main())


def test_jitter_never_reorders_a_connection(run: Run) -> None:
    async def main() -> None:
        async with proxied(faults=parse_proxy_faults({"latency": "5ms", "jitter": "5ms"})) as (proxy, _):
            reader, writer = await connect(proxy)
            sent = b"".join(f"{i:05d}".encode() for i in range(200))
            for i in range(200):
                writer.write(sent[i * 5 : i * 5 + 5])
                await writer.drain()
                await asyncio.sleep(0)
            assert await reader.readexactly(len(sent)) == sent
            writer.close()

    run(main())


def test_bandwidth_limits_a_download(run: Run) -> None:
    size = 500_000  # 4 Mbit: 2 s at 2 Mbit/s; the bucket's burst (20 ms) is the only head start

    async def blob(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(3)
        writer.write(b"x" * size)
        await writer.drain()
        writer.close()

    async def main() -> float:
        async with proxied(blob, parse_proxy_faults({"bandwidth": "2mbit"})) as (proxy, _):
            reader, writer = await connect(proxy)
            start = time.perf_counter()
            writer.write(b"get")
            got = await reader.read()
            elapsed = time.perf_counter() - start
            assert len(got) == size
            writer.close()
            return elapsed

    assert run(main()) >= 1.9


def test_a_reset_share_resets_open_connections_at_their_next_data(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, _):
            pairs = [await connect(proxy) for _ in range(4)]
            for reader, writer in pairs:
                await roundtrip(reader, writer, b"hi")
            proxy.apply(parse_proxy_faults({"reset": "50%"}))
            outcomes = []
            for reader, writer in pairs:
                writer.write(b"again")
                try:
                    outcomes.append(await reader.readexactly(5))
                except (ConnectionResetError, asyncio.IncompleteReadError):
                    outcomes.append(b"reset")
            assert outcomes.count(b"reset") == 2  # exactly the share, not a coin toss
            assert proxy.stats().resets == 2

    run(main())


def test_reset_all_sends_a_real_rst_to_every_connection(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, _):
            pairs = [await connect(proxy) for _ in range(3)]
            for reader, writer in pairs:
                await roundtrip(reader, writer, b"hi")
            assert proxy.reset_all() == 3
            for reader, _writer in pairs:
                with pytest.raises(ConnectionResetError):
                    await reader.read(10)
            assert proxy.stats().open == 0

    run(main())


def test_a_dropped_connection_is_reset_and_never_reaches_the_upstream(run: Run) -> None:
    async def main() -> None:
        async with proxied(faults=parse_proxy_faults({"drop": "100%"})) as (proxy, upstream):
            reader, writer = await connect(proxy)
            writer.write(b"hello")
            with pytest.raises(ConnectionResetError):
                await reader.read(10)
            assert upstream.accepted == 0
            assert proxy.stats().drops == 1

    run(main())


def test_a_stall_accepts_and_never_answers_until_it_ends(run: Run) -> None:
    async def main() -> None:
        async with proxied(faults=parse_proxy_faults({"stall": True})) as (proxy, upstream):
            reader, writer = await connect(proxy)
            writer.write(b"anyone?")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(10), 0.3)  # the client's timeout is what ends it
            assert upstream.accepted == 0
            assert proxy.stats().stalled == 1
            proxy.clear()  # the stalled connection has no upstream: it is reset, new ones work
            with pytest.raises(ConnectionResetError):
                await reader.read(10)
            fresh, fresh_writer = await connect(proxy)
            await roundtrip(fresh, fresh_writer, b"back")
            fresh_writer.close()

    run(main())


def test_a_slow_close_holds_the_fin_back(run: Run) -> None:
    async def bye(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    async def main() -> float:
        async with proxied(bye, parse_proxy_faults({"slow_close": "500ms"})) as (proxy, _):
            reader, writer = await connect(proxy)
            assert await reader.readexactly(3) == b"bye"
            start = time.perf_counter()
            assert await reader.read() == b""
            writer.close()
            return time.perf_counter() - start

    assert run(main()) >= 0.45


def test_a_client_half_close_reaches_the_upstream_and_the_answer_comes_back(run: Run) -> None:
    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client's FIN
        writer.write(str(len(data)).encode())
        writer.close()

    async def main() -> None:
        async with proxied(count) as (proxy, _):
            reader, writer = await connect(proxy)
            writer.write(b"x" * 100_000)
            writer.write_eof()
            assert await reader.read() == b"100000"
            writer.close()
            await asyncio.sleep(0.05)
            assert proxy.stats().open == 0

    run(main())


def test_a_slow_reader_holds_the_sender_back_instead_of_filling_memory(run: Run) -> None:
    async def main() -> None:
        release = asyncio.Event()

        async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.close()

        faults = parse_proxy_faults({"latency": "1ms", "direction": "up"})
        async with proxied(never_reads, faults) as (proxy, _):
            _, writer = await connect(proxy)
            writer.write(b"x" * 20_000_000)
            await asyncio.sleep(0.5)
            (link,) = proxy.links
            assert link.up.queued <= HIGH_WATER + 65536
            assert link.upstream is not None
            assert link.upstream.get_write_buffer_size() <= 1_000_000
            assert writer.transport.get_write_buffer_size() > 1_000_000  # the rest waits in the client
            writer.transport.abort()
            release.set()

    run(main())


def test_start_refuses_a_port_in_use_and_a_silent_upstream(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, upstream):
            taken = FaultProxy(proxy.address, ("127.0.0.1", upstream.port), name="db")
            with pytest.raises(
                ProxyError, match=r"^db: cannot listen on 127\.0\.0\.1:\d+: the port is in use"
            ):
                await taken.start()
        nothing = FaultProxy(("127.0.0.1", 0), ("127.0.0.1", free_port()), name="db")
        with pytest.raises(ProxyError, match=r"^db: upstream 127\.0\.0\.1:\d+ does not answer"):
            await nothing.start()

    run(main())


async def numbered_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Lines 0 to 999, ten at a time, then a FIN: a stream where a lost or reordered chunk shows."""
    for start in range(0, 1000, 10):
        writer.write(b"".join(b"%d\n" % i for i in range(start, start + 10)))
        await writer.drain()
        await asyncio.sleep(0.002)
    writer.close()


def test_a_stall_under_an_open_stream_holds_its_data_and_fin_and_loses_nothing(run: Run) -> None:
    async def main() -> None:
        async with proxied(numbered_lines) as (proxy, _):
            reader, writer = await connect(proxy)
            lines = [await reader.readline() for _ in range(88)]
            proxy.apply(parse_proxy_faults({"stall": True}))
            # The upstream goes on writing and closes during the stall: neither its data nor its FIN
            # may reach the client before the stall ends. A chunk read before the stall may still be
            # in the client's buffer, so read until nothing comes.
            held_back = b""
            with pytest.raises(TimeoutError):
                while True:
                    held_back += await asyncio.wait_for(reader.read(65536), 0.5)
                    assert held_back, "the FIN passed during the stall"
            (link,) = proxy.links
            assert link.down.src_held  # the upstream is held back by TCP, not read into memory
            proxy.clear()
            rest = held_back + await asyncio.wait_for(reader.read(), 10)
            lines += rest.splitlines(keepends=True)
            assert [int(line) for line in lines] == list(range(1000))
            writer.close()

    run(main())


def test_a_stall_holds_what_the_client_sends_and_delivers_it_after(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, _):
            reader, writer = await connect(proxy)
            await roundtrip(reader, writer, b"first")
            proxy.apply(parse_proxy_faults({"stall": True}))
            writer.write(b"held")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(10), 0.3)
            proxy.clear()
            assert await asyncio.wait_for(reader.readexactly(4), 10) == b"held"
            writer.close()

    run(main())


def test_clearing_a_latency_releases_data_already_queued_in_order(run: Run) -> None:
    async def main() -> None:
        async with proxied() as (proxy, _):
            reader, writer = await connect(proxy)
            await roundtrip(reader, writer, b"warm")
            proxy.apply(parse_proxy_faults({"latency": "1h"}))
            for i in range(20):
                writer.write(b"%02d" % i)
                await asyncio.sleep(0.005)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(10), 0.2)
            proxy.apply(parse_proxy_faults({"latency": "50ms"}))  # due 50 ms after each chunk arrived
            first = await asyncio.wait_for(reader.readexactly(20), 10)
            proxy.clear()
            rest = await asyncio.wait_for(reader.readexactly(20), 10)
            assert first + rest == b"".join(b"%02d" % i for i in range(20))
            writer.close()

    run(main())

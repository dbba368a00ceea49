"""Many connections through the fault proxy at once: each one is served, none waits behind the others.

A regression guard for the proxy's own share of a 1000-connection run where some connections waited
until the end: the proxy accepts, connects upstream and forwards every connection's requests in turn.
"""

from __future__ import annotations

import asyncio

from tests.chaos.test_proxy import Run, connect, proxied, run  # noqa: F401 - run is a fixture

CONNECTIONS = 300
ROUNDS = 20


def test_no_connection_starves_among_300(run: Run) -> None:  # noqa: F811 - the fixture
    async def main() -> list[int]:
        async with proxied() as (proxy, upstream):
            done = [0] * CONNECTIONS

            async def client(i: int) -> None:
                reader, writer = await connect(proxy)
                for n in range(ROUNDS):
                    message = b"%d:%d\n" % (i, n)
                    writer.write(message)
                    assert await reader.readexactly(len(message)) == message
                    done[i] += 1
                writer.close()

            tasks = [asyncio.create_task(client(i)) for i in range(CONNECTIONS)]
            # Generous: a starved connection waits forever, a loaded machine takes seconds at most.
            finished, pending = await asyncio.wait(tasks, timeout=60)
            for task in pending:
                task.cancel()
            for task in finished:
                task.result()
            assert upstream.accepted == CONNECTIONS
            return done

    done = run(main())
    assert done == [ROUNDS] * CONNECTIONS, f"{sum(d < ROUNDS for d in done)} connections starved"

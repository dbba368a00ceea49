"""`loadpulse proxy`: the fault-injecting TCP proxy standalone, with its control API, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
from typing import Annotated

import typer

from loadpulse.chaos.proxy import FaultProxy
from loadpulse.chaos.proxy_control import control_app
from loadpulse.cli.console import stderr_console
from loadpulse.engine.execute import event_loop_runner
from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import ProxyFaults, parse_proxy_faults
from loadpulse.live.guard import guarded, is_loopback
from loadpulse.live.service import AsgiService, bind, free_port_near

READY_PREFIX = "loadpulse proxy listening on "
# SIGHUP too: a proxy started from a terminal that closes, or told to stop by a supervisor, ends cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def proxy(
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to accept clients on (loopback; PORT 0 = any free).")
    ],
    upstream: Annotated[str, typer.Option("--upstream", help="HOST:PORT every connection is forwarded to.")],
    latency: Annotated[
        str | None, typer.Option("--latency", help="Delay added to data, e.g. 200ms (see --direction).")
    ] = None,
    jitter: Annotated[
        str | None, typer.Option("--jitter", help="Random ± spread around --latency, e.g. 50ms.")
    ] = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction",
            help="Which flow latency and bandwidth act on: down (upstream → client), up or both.",
        ),
    ] = "down",
    bandwidth: Annotated[
        str | None,
        typer.Option("--bandwidth", help="Per-connection rate limit: 1mbit, 512kbit/s or 100kB/s."),
    ] = None,
    reset: Annotated[
        str | None, typer.Option("--reset", help="Share of connections reset (RST) at their next data: 5%.")
    ] = None,
    drop: Annotated[
        str | None, typer.Option("--drop", help="Share of new connections accepted and reset at once: 10%.")
    ] = None,
    stall: Annotated[
        bool, typer.Option("--stall", help="Accept connections but never answer (read and discard).")
    ] = False,
    slow_close: Annotated[
        str | None, typer.Option("--slow-close", help="Delay before a close (FIN) is passed on, e.g. 2s.")
    ] = None,
    control: Annotated[
        str,
        typer.Option("--control", help="Loopback HOST:PORT of the HTTP control API (PORT 0 = any free)."),
    ] = "127.0.0.1:0",
    name: Annotated[str, typer.Option("--name", help="A name for this proxy in messages.")] = "proxy",
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote", help="Allow --listen on a non-loopback address (anyone there can connect)."
        ),
    ] = False,
) -> None:
    """Forward TCP connections from --listen to --upstream, injecting faults: latency and jitter,
    bandwidth, resets, dropped connections, stalls, slow closes. Change them while it runs through the
    control API (GET|PUT|DELETE /faults, POST /reset, GET /stats). Runs until Ctrl-C, SIGTERM or SIGHUP."""
    listen_at = parse_host_port(listen, "--listen")
    upstream_at = parse_host_port(upstream, "--upstream")
    control_at = parse_host_port(control, "--control")
    if not is_loopback(listen_at[0]) and not allow_remote:
        raise BadInput(
            f"--listen {listen}: not a loopback address; add --allow-remote to accept connections from "
            "other machines"
        )
    if not is_loopback(control_at[0]):
        raise BadInput(f"--control {control}: the control API has no authentication and binds loopback only")
    given = {
        "--latency": latency,
        "--jitter": jitter,
        "--direction": direction,
        "--bandwidth": bandwidth,
        "--reset": reset,
        "--drop": drop,
        "--stall": stall,
        "--slow-close": slow_close,
    }
    faults = parse_proxy_faults(given, where="")
    with event_loop_runner() as runner:
        runner.run(_serve(FaultProxy(listen_at, upstream_at, name), faults, control_at))


def parse_host_port(text: str, flag: str) -> tuple[str, int]:
    """('127.0.0.1', 8080) from '127.0.0.1:8080', 'localhost:0' or '[::1]:8080'; BadInput naming the flag."""
    host, sep, port_text = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise BadInput(f"{flag} {text!r}: write HOST:PORT, like 127.0.0.1:8080 (PORT 0 to 65535)")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not host.replace("-", "").replace(".", "").isalnum():
                raise BadInput(f"{flag} {text!r}: {host!r} is not a host name or address") from None
    return host, int(port_text)


async def _serve(proxy: FaultProxy, faults: ProxyFaults, control_at: tuple[str, int]) -> None:
    sock = _bind_control(*control_at)
    try:
        await proxy.start()
    except BaseException:
        sock.close()
        raise
    proxy.apply(faults)
    port = int(sock.getsockname()[1])
    service = AsgiService(guarded(control_app(proxy), token=None, bind_host=control_at[0], port=port), sock)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    host, listen_port = proxy.address
    up_host, up_port = proxy.upstream
    shown = f"[{control_at[0]}]" if ":" in control_at[0] else control_at[0]
    print(
        f"{READY_PREFIX}{_joined(host, listen_port)} -> {_joined(up_host, up_port)} "
        f"({proxy.faults.describe()}); control http://{shown}:{port}/faults",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        for sig in STOP_SIGNALS:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        stats = proxy.stats()
        await service.stop()
        await proxy.close()
        stderr_console().print(
            f"{proxy.name} stopped: {_count(stats.connections, 'connection')}, {stats.bytes_up} bytes up, "
            f"{stats.bytes_down} bytes down, {stats.resets} reset, {stats.drops} dropped",
            highlight=False,
        )


def _bind_control(host: str, port: int) -> socket.socket:
    """The control API's socket; a port in use is named with a free one nearby, as --control wants it."""
    try:
        return bind(host, port, "--control")
    except BadInput as exc:
        # bind's own hint names a bare port (--control=PORT), which this flag does not take.
        in_use = str(exc).startswith(f"--control: port {port} on {host} is in use")
        near = free_port_near(host, port) if in_use else None
        if near is None:
            raise
        raise BadInput(
            f"--control: port {port} on {host} is in use; try --control={_joined(host, near)}"
        ) from None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _joined(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

"""`loadpulse proxy` as users run it: a child process between loadpulse and nginx, changed through its
control API; bad input is one line and exit 2."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import pytest

from loadpulse.cli.proxy import READY_PREFIX
from tests.conftest import CliResult
from tests.ports import free_port
from tests.services import Nginx

QUIET = ("--quiet", "--no-history", "--json", "-")
# No proxy from the environment: these requests go to 127.0.0.1 and nowhere else.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class RunningProxy:
    url: str  # http://127.0.0.1:PORT, forwarding to the upstream
    control: str  # http://127.0.0.1:PORT (no path)
    process: subprocess.Popen[str]
    errors: IO[str]  # the child's stderr, a file

    def call(self, method: str, path: str, body: object = None, host: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.control + path, data=data, method=method)
        if host is not None:
            request.add_header("Host", host)
        try:
            with DIRECT.open(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@contextlib.contextmanager
def running_proxy(upstream: str, *flags: str) -> Iterator[RunningProxy]:
    """`loadpulse proxy --listen 127.0.0.1:0 --upstream UPSTREAM FLAGS` in a child process, until SIGTERM."""
    cmd = [
        sys.executable,
        "-m",
        "loadpulse",
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        upstream,
        *flags,
    ]
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(READY_PREFIX):
            proc.kill()
            errors.seek(0)
            raise RuntimeError(f"proxy did not start: {line.strip()} {errors.read().strip()}")
        listen = line[len(READY_PREFIX) :].split()[0]
        control = line.rsplit("control ", 1)[1].strip().removesuffix("/faults")
        yield RunningProxy(f"http://{listen}", control, proc, errors)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        errors.close()


def _hostport(url: str) -> str:
    return url.removeprefix("http://").rstrip("/")


def _p50(cli: Callable[..., CliResult], url: str) -> float:
    r = cli("http", url, "-c", "2", "-d", "2s", *QUIET)
    assert r.code == 0, r.err
    summary = r.summary()
    assert summary["requests"]["failed"] == 0
    return float(summary["latency_ms"]["p50"])


def test_added_latency_shows_in_p50_within_5_percent(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    direct = _p50(cli, f"{nginx.url}/")
    with running_proxy(_hostport(nginx.url), "--latency", "100ms") as proxy:
        through = _p50(cli, f"{proxy.url}/")
    expected = direct + 100.0
    assert abs(through - expected) <= 0.05 * expected, (direct, through)


def test_reset_100_percent_gives_reset_errors_in_a_run(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    with running_proxy(_hostport(nginx.url), "--reset", "100%") as proxy:
        r = cli("http", f"{proxy.url}/", "-c", "2", "-d", "1s", *QUIET)
        _, stats = proxy.call("GET", "/stats")
    assert r.code != 2, r.err
    summary = r.summary()
    assert summary["requests"]["ok"] == 0
    assert summary["errors"].get("reset", 0) > 0, summary["errors"]
    assert stats["resets"] > 0


def test_a_stall_ends_in_client_timeouts_in_a_run(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    with running_proxy(_hostport(nginx.url), "--stall") as proxy:
        r = cli("http", f"{proxy.url}/", "-c", "2", "-d", "1s", "--timeout", "300ms", *QUIET)
        _, stats = proxy.call("GET", "/stats")
    assert r.code != 2, r.err
    summary = r.summary()
    assert summary["requests"]["ok"] == 0
    assert summary["errors"].get("timeout", 0) > 0, summary["errors"]
    assert stats["stalled"] > 0 and stats["bytes_down"] == 0


def test_the_control_api_changes_faults_live(nginx: Nginx) -> None:
    with running_proxy(_hostport(nginx.url)) as proxy:
        assert proxy.call("GET", "/faults")[1]["describe"] == "no faults"
        with DIRECT.open(f"{proxy.url}/", timeout=5) as response:
            assert response.read() == b"ok\n"

        status, doc = proxy.call("PUT", "/faults", {"latency": "150ms", "jitter": "10ms"})
        assert (status, doc["describe"]) == (200, "latency 150ms ±10ms (down)")
        start = time.perf_counter()
        with DIRECT.open(f"{proxy.url}/", timeout=5) as response:
            assert response.read() == b"ok\n"
        assert time.perf_counter() - start >= 0.14

        status, error = proxy.call("PUT", "/faults", {"reset": "200%"})
        assert status == 400 and "reset '200%' must be between 0% and 100%" in error
        assert proxy.call("GET", "/faults")[1]["faults"]["latency"] == 0.15  # a bad PUT changes nothing

        assert proxy.call("PUT", "/faults", {"latency": "1s"}, host="evil.example:80")[0] == 403
        assert proxy.call("POST", "/reset")[0] == 200
        stats = proxy.call("GET", "/stats")[1]
        assert stats["connections"] >= 2 and stats["bytes_down"] > 0
        assert proxy.call("DELETE", "/faults")[1]["describe"] == "no faults"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_it_cleanly_with_its_totals(nginx: Nginx, sig: signal.Signals) -> None:
    with running_proxy(_hostport(nginx.url), "--drop", "10%") as proxy:
        with DIRECT.open(f"{proxy.url}/", timeout=5) as response:
            assert response.read() == b"ok\n"
        proxy.process.send_signal(sig)
        assert proxy.process.wait(timeout=10) == 0
        proxy.errors.seek(0)
        assert proxy.errors.read().startswith("proxy stopped: 1 connection, ")


@contextlib.contextmanager
def _taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--reset", "200%"], "--reset '200%' must be between 0% and 100%"),
        (["--latency", "soon"], "--latency 'soon' is not a duration"),
        (["--latency", "99999h"], "--latency '99999h' is over the maximum of 1h"),
        (["--bandwidth", "1mbps"], "--bandwidth '1mbps' is ambiguous"),
        (["--direction", "left"], "--direction must be down, up or both"),
        (["--control", "0.0.0.0:0"], "--control 0.0.0.0:0: the control API has no authentication"),
        (["--listen", "0.0.0.0:0"], "--listen 0.0.0.0:0: not a loopback address; add --allow-remote"),
        (["--listen", "127.0.0.1"], "--listen '127.0.0.1': write HOST:PORT"),
    ],
)
def test_bad_values_name_the_flag(
    cli: Callable[..., CliResult], nginx: Nginx, flags: list[str], message: str
) -> None:
    args = ["proxy", "--listen", "127.0.0.1:0", "--upstream", _hostport(nginx.url), *flags]
    _assert_one_line(cli(*args), message)


def test_a_port_in_use_and_a_silent_upstream(cli: Callable[..., CliResult], nginx: Nginx) -> None:
    with _taken_port() as port:
        r = cli("proxy", "--listen", f"127.0.0.1:{port}", "--upstream", _hostport(nginx.url))
        _assert_one_line(r, f"cannot listen on 127.0.0.1:{port}: the port is in use")
        r = cli(
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            _hostport(nginx.url),
            "--control",
            f"127.0.0.1:{port}",
        )
        _assert_one_line(r, f"--control: port {port} on 127.0.0.1 is in use; try --control=127.0.0.1:")
    silent = free_port()
    r = cli("proxy", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{silent}")
    _assert_one_line(r, f"upstream 127.0.0.1:{silent} does not answer")


def _assert_one_line(r: CliResult, message: str) -> None:
    assert r.code == 2, (r.out, r.err)
    assert message in r.err
    assert len(r.err.strip().splitlines()) == 1, r.err

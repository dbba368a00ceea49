"""The fault proxy's cost with no fault on: p50 added and top requests/s, through it vs. direct, on nginx.

    .venv/bin/python bench/proxy.py [-d SECONDS] [-c CONNECTIONS] [--proxy-cpu N] [--runs N]

Same set-up as ../shared/bench/anchors.sh: nginx (``GET /`` answering ``ok\\n``) pinned to core 1, the
client to core 0; the proxy (``loadpulse proxy``, uvloop) to ``--proxy-cpu`` (default 1, beside nginx: a
2-core machine has no third core, and sharing the client's core would slow the client instead).

- p50 added: ``loadpulse http -c 1`` (one request at a time, so the figure is the proxy's latency, not a
  queue), p50 through the proxy minus p50 direct.
- top requests/s: wrk (``-t1 -c CONNECTIONS``; ``loadpulse http`` when wrk is missing), through / direct.
- proxy CPU per request: the proxy process's user+system CPU time during the top-rate run through it,
  divided by the requests. Unlike the rates, this holds on a busy shared machine (other processes slow
  the run but do not add CPU time to the proxy).

Everything on 127.0.0.1; every process started here is stopped on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO.parent / "shared" / "bench" / "nginx.conf.in"
LOADPULSE = [sys.executable, "-m", "loadpulse"]
READY = "loadpulse proxy listening on "
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cpu: int, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *cmd] if shutil.which("taskset") else cmd


@contextlib.contextmanager
def nginx(work: Path) -> Iterator[str]:
    port = free_port()
    conf = NGINX_CONF.read_text().replace("@DIR@", str(work)).replace("@PORT@", str(port))
    (work / "nginx.conf").write_text(conf)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(pinned(1, [binary, "-c", str(work / "nginx.conf")]))
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                DIRECT.open(url, timeout=1).read()
                break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def proxy(upstream: str, cpu: int) -> Iterator[tuple[str, psutil.Process]]:
    hostport = upstream.removeprefix("http://").rstrip("/")
    cmd = [*LOADPULSE, "proxy", "--listen", "127.0.0.1:0", "--upstream", hostport]
    proc = subprocess.Popen(pinned(cpu, cmd), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(READY):
            raise SystemExit(f"proxy did not start: {line!r}")
        yield f"http://{line[len(READY) :].split()[0]}/", psutil.Process(proc.pid)  # taskset execs
    finally:
        proc.terminate()
        proc.wait(10)


def p50_ms(url: str, seconds: int) -> tuple[float, float]:
    cmd = [*LOADPULSE, "http", url, "-c", "1", "-d", f"{seconds}s", "--quiet", "--no-history", "--json", "-"]
    out = subprocess.run(pinned(0, cmd), capture_output=True, text=True, check=True).stdout
    latency = json.loads(out)["latency_ms"]
    return float(latency["p50"]), float(latency["p99"])


def top_rate(url: str, seconds: int, connections: int) -> tuple[float, int]:
    """(requests/s, requests)."""
    if shutil.which("wrk"):
        out = subprocess.run(
            pinned(0, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        count = re.search(r"(\d+) requests in", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
        if match is None or count is None:
            raise SystemExit(f"wrk printed no rate:\n{out}")
        if errors:
            print(f"  wrk: {errors.group(0)}", file=sys.stderr)
        return float(match.group(1)), int(count.group(1))
    cmd = [*LOADPULSE, "http", url, "-c", str(connections), "-d", f"{seconds}s", "--quiet", "--no-history"]
    out = subprocess.run(pinned(0, [*cmd, "--json", "-"]), capture_output=True, text=True, check=True).stdout
    requests = json.loads(out)["requests"]
    return float(requests["rate"]), int(requests["total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("-c", "--connections", type=int, default=50, help="connections for the top rate")
    parser.add_argument("--proxy-cpu", type=int, default=1, help="core the proxy is pinned to")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    client = "wrk" if shutil.which("wrk") else "loadpulse http"
    print(f"| run | p50 direct | p50 proxied | p50 added | p99 direct | p99 proxied | {client} direct "
          "| through proxy | ratio | proxy CPU/request |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="loadpulse-bench-proxy-") as tmp, nginx(Path(tmp)) as url:
        for run in range(1, args.runs + 1):
            with proxy(url, args.proxy_cpu) as (via, process):
                d50, d99 = p50_ms(url, args.duration)
                p50, p99 = p50_ms(via, args.duration)
                direct, _ = top_rate(url, args.duration, args.connections)
                before = process.cpu_times()
                through, requests = top_rate(via, args.duration, args.connections)
                after = process.cpu_times()
                cpu_s = (after.user + after.system) - (before.user + before.system)
            print(
                f"| {run} | {d50 * 1e3:.0f} µs | {p50 * 1e3:.0f} µs | {(p50 - d50) * 1e3:+.0f} µs "
                f"| {d99 * 1e3:.0f} µs | {p99 * 1e3:.0f} µs | {direct:,.0f} | {through:,.0f} "
                f"| {through / direct:.2f} | {cpu_s / requests * 1e6:.1f} µs |",
                flush=True,
            )


if __name__ == "__main__":
    main()

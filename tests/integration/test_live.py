"""Live observability end to end: a real Prometheus scrapes loadpulse; the dashboard in real Chromium."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port


def loadpulse(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "loadpulse", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_http(url: str, timeout_s: float = 15.0, headers: dict[str, str] | None = None) -> bytes:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as r:
                return bytes(r.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Any]:
    """Start a real Prometheus (Debian's) scraping 127.0.0.1:PORT every second; yields its base URL."""
    binary = shutil.which("prometheus")
    if not binary:
        pytest.fail("prometheus is not installed: run ./scripts/test (it installs Debian's prometheus)")
    procs: list[subprocess.Popen[bytes]] = []

    def start(target_port: int) -> str:
        port = free_port()
        (tmp_path / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: loadpulse\n    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n"
        )
        procs.append(
            subprocess.Popen(
                [
                    binary,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/-/ready", 30)
        return url

    yield start
    for p in procs:
        p.terminate()
        p.wait(20)


def test_real_prometheus_scrapes_the_request_counter(prometheus_for: Any, nginx: object) -> None:
    port = free_port()
    prom = prometheus_for(port)
    run = loadpulse("http", nginx.url, "-d", "40s", "-c", "2", "--no-history", "--quiet",  # type: ignore[attr-defined]
                    f"--prometheus={port}", "-t", "p99 < 1s")  # fmt: skip
    try:
        query = urllib.parse.urlencode({"query": "loadpulse_requests_total"})
        deadline = time.monotonic() + 30
        value = 0.0
        while value <= 0 and time.monotonic() < deadline:
            doc = json.loads(wait_http(f"{prom}/api/v1/query?{query}"))
            result = doc["data"]["result"]
            value = float(result[0]["value"][1]) if result else 0.0
            time.sleep(0.5)
        assert value > 0, "Prometheus never saw loadpulse_requests_total"
        metrics = wait_http(f"http://127.0.0.1:{port}/metrics").decode()
        assert 'loadpulse_request_duration_seconds_bucket{le="0.005",name="GET /"}' in metrics
        assert 'loadpulse_latency_percentile_seconds{name="all",quantile="0.99"}' in metrics
        assert 'loadpulse_threshold_state{objective="p99 < 1s"} 0.0' in metrics
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(30)
    assert run.returncode == 130


def test_ports_in_use_and_open_binds_are_bad_input(nginx: object) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        for flag in ("--dashboard", "--prometheus"):
            argv = [sys.executable, "-m", "loadpulse", "http", nginx.url, "-n", "1", "--no-history"]  # type: ignore[attr-defined]
            r = subprocess.run([*argv, f"{flag}={busy}"], capture_output=True, text=True)
            assert (
                r.returncode == 2 and f"{flag}: port {busy} on 127.0.0.1 is in use; try {flag}=" in r.stderr
            )
    r = subprocess.run([sys.executable, "-m", "loadpulse", "http", nginx.url, "-n", "1", "--no-history",  # type: ignore[attr-defined]
                        "--dashboard", "--bind", "0.0.0.0"], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 2 and "give --dashboard-token" in r.stderr and "Traceback" not in r.stderr


@pytest.fixture
def dashboard_run(nginx: object, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = free_port()
    out = tmp_path / "s.json"
    run = loadpulse("http", nginx.url, "-d", "60s", "-c", "2", "--no-history", "--no-progress",  # type: ignore[attr-defined]
                    f"--dashboard={port}", "--dashboard-linger", "3s", "--json", str(out),
                    "-t", "p95 < 1s")  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    wait_http(url)
    yield url, run, out
    if run.poll() is None:
        run.kill()
        run.wait()


def test_dashboard_updates_draws_and_stops_the_run(
    browser: Any, dashboard_run: tuple[str, subprocess.Popen[str], Path]
) -> None:
    url, run, out = dashboard_run
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("document.querySelectorAll('.card').length > 3")
    first = page.evaluate("document.querySelector('.card .value').textContent")
    page.wait_for_function(
        "v => document.querySelector('.card .value').textContent !== v", arg=first, timeout=5000
    )  # the request count moved: the page is live
    inked = page.evaluate(
        """() => [...document.querySelectorAll('.chart canvas')].map(c => {
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let ink = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) ink++; return ink; })"""
    )
    assert len(inked) == 4 and min(inked) > 500, inked
    assert "p95 < 1s" in page.evaluate("document.getElementById('thresholds').innerText")
    assert "GET /" in page.evaluate("document.getElementById('names').innerText")
    page.click("#stop")
    page.wait_for_selector("body[data-final='1']", timeout=15000)
    assert "interrupted" in page.evaluate("document.getElementById('status').textContent")
    assert errors == []
    run.wait(30)
    assert run.returncode == 130  # the stop button is Ctrl-C: graceful stop, summary, exit 130
    summary = json.loads(out.read_text())
    assert summary["ended_by"] == "interrupted" and summary["requests"]["total"] > 0
    page.close()


def test_dashboard_token_is_required_on_every_request(nginx: object) -> None:
    port = free_port()
    prom = free_port()
    run = loadpulse("http", nginx.url, "-d", "30s", "-c", "1", "--no-history", "--quiet",  # type: ignore[attr-defined]
                    f"--dashboard={port}", "--dashboard-token", "s3cret", f"--prometheus={prom}")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/?token=s3cret")
        for path in ("/", "/events", "/summary"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(f"{base}{path}", timeout=2)
            assert info.value.code == 401
        req = urllib.request.Request(f"{base}/stop", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=2)
        assert info.value.code == 401
        assert run.poll() is None  # the refused stop did nothing
        page = wait_http(f"{base}/", headers={"Authorization": "Bearer s3cret"})
        assert b"loadpulse live" in page
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{prom}/metrics", timeout=2)
        assert info.value.code == 401
        assert b"loadpulse_requests" in wait_http(f"http://127.0.0.1:{prom}/metrics?token=s3cret")
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(30)


def test_secrets_stay_out_of_the_live_outputs(nginx: object) -> None:
    port, prom = free_port(), free_port()
    url = f"{nginx.url}/?key=hush-hush"  # type: ignore[attr-defined]
    run = loadpulse("http", url, "-d", "30s", "-c", "1", "--no-history", "--quiet",
                    f"--dashboard={port}", f"--prometheus={prom}", "--secret", "hush-hush")  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        time.sleep(1.5)
        metrics = wait_http(f"http://127.0.0.1:{prom}/metrics").decode()
        assert "loadpulse_requests_total" in metrics and "hush-hush" not in metrics
        events = wait_http(f"http://127.0.0.1:{port}/summary").decode()
        assert "hush-hush" not in events and "[redacted]" in events
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(30)


def test_cross_site_stop_and_foreign_host_are_refused(nginx: object) -> None:
    """A page on another origin cannot stop the run (CSRF), and a rebound DNS name cannot read it."""
    port = free_port()
    run = loadpulse("http", nginx.url, "-d", "30s", "-c", "1", "--no-history", "--quiet",  # type: ignore[attr-defined]
                    f"--dashboard={port}")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/summary")
        for headers in (
            {"Origin": "http://evil.example", "Content-Type": "text/plain"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Host": f"evil.example:{port}"},
        ):
            req = urllib.request.Request(f"{base}/stop", method="POST", data=b"x", headers=headers)
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(req, timeout=2)
            assert info.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(
                urllib.request.Request(f"{base}/summary", headers={"Host": "rebound.example"}), timeout=2
            )
        assert info.value.code == 403
        time.sleep(0.5)
        assert run.poll() is None  # nothing of that stopped the run
        same_origin = urllib.request.Request(f"{base}/stop", method="POST", headers={"Origin": base})
        with urllib.request.urlopen(same_origin, timeout=2) as r:
            assert r.status == 200
        run.wait(30)
        assert run.returncode == 130
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()

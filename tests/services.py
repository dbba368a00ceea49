"""Real services for integration tests, started on free loopback ports and stopped afterwards."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loadpulse.demo.server import demo_target
from tests.ports import free_port

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  access_log off;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 "ok\\n"; }}
    location /echo {{ client_max_body_size 1m; return 200 "$request_method $request_length\\n"; }}
    location /teapot {{ return 418 "no\\n"; }}
    location /boom {{ return 503 "down\\n"; }}
    location /chunked {{ chunked_transfer_encoding on; return 200 "chunk\\n"; }}
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl;
    ssl_certificate {dir}/cert.pem;
    ssl_certificate_key {dir}/key.pem;
    location / {{ return 200 "secure\\n"; }}
  }}
}}
"""


@dataclass(frozen=True)
class Nginx:
    url: str
    tls_url: str


def _wait_http(url: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def self_signed_cert(work: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in ``work``: self-signed for CN/DNS localhost, valid two days."""
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is not installed: run ./scripts/test (it installs Debian's nginx-light)")
    work = tmp_path_factory.mktemp("nginx")
    self_signed_cert(work)
    port, tls_port = free_port(), free_port()
    (work / "nginx.conf").write_text(NGINX_CONF.format(dir=work, port=port, tls_port=tls_port))
    proc = subprocess.Popen([binary, "-c", str(work / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        _wait_http(f"http://127.0.0.1:{port}/")
        yield Nginx(f"http://127.0.0.1:{port}", f"https://localhost:{tls_port}")
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass(frozen=True)
class NginxH2:
    h2c_url: str
    """HTTP/2 with prior knowledge (``listen … http2``)."""
    tls_url: str
    """HTTP/2 over TLS, ALPN h2 (``listen … ssl http2``)."""
    h1_url: str
    """HTTP/1.1 only."""
    goaway_url: str
    """h2c that ends each connection with GOAWAY after 100 streams (nginx's keepalive_requests)."""


H2_CONF = Path(__file__).resolve().parent.parent / "examples" / "http2" / "nginx.conf"


@pytest.fixture(scope="session")
def nginx_h2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NginxH2]:
    """nginx serving HTTP/2 from examples/http2/nginx.conf (docs/http2.md), on free ports."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is not installed: run ./scripts/test (it installs Debian's nginx-light)")
    work = tmp_path_factory.mktemp("nginx_h2")
    self_signed_cert(work)
    (work / "big.bin").write_bytes(bytes(1 << 20))
    ports = {p: free_port() for p in (8082, 8443, 8083, 8084)}
    conf = H2_CONF.read_text()
    for fixed, port in ports.items():
        conf = conf.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{port}")
    # Workers as this user, so they can read big.bin in pytest's private temp folder (ignored when not root).
    (work / "nginx.conf").write_text(f"user {getpass.getuser()};\n{conf}")
    proc = subprocess.Popen([binary, "-p", f"{work}/", "-c", "nginx.conf"], stderr=subprocess.PIPE)
    try:
        _wait_http(f"http://127.0.0.1:{ports[8083]}/")
        yield NginxH2(
            f"http://127.0.0.1:{ports[8082]}",
            f"https://localhost:{ports[8443]}",
            f"http://127.0.0.1:{ports[8083]}",
            f"http://127.0.0.1:{ports[8084]}",
        )
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    with demo_target() as url:
        yield url

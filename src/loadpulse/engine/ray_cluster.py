"""``--cluster``: this process connected to a Ray cluster (or running a local one) for one run.

Ray is imported here only, when ``--cluster`` is given: a run without it never pays for (or needs) Ray.
The scenario's folder is the job's ``working_dir``: Ray ships it to every node, and an actor starts in its
unpacked copy. Ray allows a job-level working_dir only, so the folder is known when connecting.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from loadpulse.errors import BadInput

SHIPPED_MAX_BYTES = 100 * 1024 * 1024
"""The scenario's folder is shipped to every node: past this it is most likely not a scenario's folder."""
SHIPPED_MAX_FILES = 10_000
EXCLUDES = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    "*.pyc",
)
"""Never shipped: version control, virtual environments, caches."""
CONNECT_TIMEOUT_S = 5.0
CPU_SETTLE_S = 2.0


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise BadInput("--cluster ray needs Ray: pip install 'loadpulse[ray]'") from None
    return ray


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    given: str
    """As the user gave it (what the messages name)."""
    address: str | None
    """What ``ray.init`` is given: None starts a local Ray."""

    @property
    def local(self) -> bool:
        return self.address is None

    @property
    def client(self) -> bool:
        return (self.address or "").startswith("ray://")


def parse_cluster(text: str) -> ClusterAddress:
    """``ray`` (a local Ray, started and stopped here), ``auto`` (the cluster this machine belongs to),
    ``ray://HOST:PORT`` (Ray client) or ``HOST:PORT`` (a head node's GCS)."""
    given = text.strip()
    lowered = given.lower()
    if lowered == "ray":
        return ClusterAddress(given, None)
    if lowered == "auto":
        return ClusterAddress(given, "auto")
    rest = given[len("ray://") :] if lowered.startswith("ray://") else given
    host, sep, port = rest.rpartition(":")
    if not sep or not host or "/" in rest or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadInput(
            f"--cluster {given!r} is not ray, auto, ray://HOST:PORT or HOST:PORT (a Ray head's address)"
        )
    return ClusterAddress(given, "ray://" + rest if lowered.startswith("ray://") else rest)


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    return host.strip("[]"), int(port)


def _reachable(cluster: ClusterAddress) -> None:
    """Refuse an address where nothing answers (Ray itself retries for minutes)."""
    address = cluster.address
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS") or None
    if address is None or address == "auto":
        return  # Ray finds the cluster of this machine itself, and says at once when there is none
    try:
        socket.create_connection(_host_port(address), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise BadInput(
            f"--cluster {cluster.given}: nothing answers at {address} ({exc.strerror or exc}); "
            "is the Ray head running (ray start --head)?"
        ) from None


def _shipped_size(folder: Path) -> tuple[int, int]:
    """Bytes and files Ray would ship from ``folder`` (the excludes left out); stops past the limits."""
    size = files = 0
    skip = {e for e in EXCLUDES if not e.startswith("*")}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names:
            if name.endswith(".pyc"):
                continue
            try:
                size += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            files += 1
            if size > SHIPPED_MAX_BYTES or files > SHIPPED_MAX_FILES:
                return size, files
    return size, files


def runtime_env(scenario: str) -> dict[str, Any]:
    """The job's runtime env: the scenario's folder as its working_dir (BadInput when it is too big)."""
    folder = Path(scenario).resolve().parent
    size, files = _shipped_size(folder)
    if size > SHIPPED_MAX_BYTES or files > SHIPPED_MAX_FILES:
        raise BadInput(
            f"--cluster: the scenario's folder {folder} holds more than {SHIPPED_MAX_BYTES // 2**20} MiB or "
            f"{SHIPPED_MAX_FILES:,} files, and it is shipped to every Ray node; put the scenario (and "
            "the files it reads) in a folder of its own"
        )
    return {"working_dir": str(folder), "excludes": list(EXCLUDES)}


class RayCluster:
    """This process's connection to the cluster for one run; :meth:`close` disconnects (and stops a Ray
    that was started here)."""

    def __init__(self, cluster: ClusterAddress, ray: ModuleType) -> None:
        self.cluster = cluster
        self.ray = ray

    @property
    def backend(self) -> str:
        return "ray"

    def cpus(self) -> tuple[int, int]:
        """The cluster's CPUs free now, and in all."""
        total = int(self.ray.cluster_resources().get("CPU", 0))
        free = int(self.ray.available_resources().get("CPU", 0))
        # Ray frees a finished job's placement group asynchronously: right after a run (runs back to back
        # in CI) its CPUs still read as busy for up to a second or so, and `--workers auto` would size
        # this run on a stale view. A short wait while some CPUs read busy; a cluster really busy with
        # other jobs only costs this wait once, at start.
        deadline = time.monotonic() + CPU_SETTLE_S
        while free < total and time.monotonic() < deadline:
            time.sleep(0.2)
            free = int(self.ray.available_resources().get("CPU", 0))
        return free, total

    def bind_host(self) -> str:
        """Where the coordinator listens for its actors: an address of this machine they can reach."""
        if self.cluster.local:
            return "127.0.0.1"
        if self.cluster.client:
            # This process is not on the cluster: the address its packets to the head leave from.
            assert self.cluster.address is not None
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(_host_port(self.cluster.address))
                return str(probe.getsockname()[0])
        return str(self.ray.util.get_node_ip_address())

    def remote_nodes(self) -> list[str]:
        """The addresses of the cluster's live nodes that are not this machine (a target that listens on
        127.0.0.1 here is out of their reach)."""
        import psutil

        here = {a.address for addrs in psutil.net_if_addrs().values() for a in addrs}
        nodes = {str(n.get("NodeManagerAddress", "")) for n in self.ray.nodes() if n.get("Alive")}
        return sorted(n for n in nodes if n not in here and not n.startswith("127."))

    def close(self) -> None:
        self.ray.shutdown()
        _driver_prints(True)


def connect(cluster: ClusterAddress, scenario: str | None) -> RayCluster:
    """Connect to (or start) the cluster, the scenario's folder as the job's working_dir (the one-liner,
    ``scenario`` None, ships nothing: its spec travels with each actor's part)."""
    ray = import_ray()
    env = runtime_env(scenario) if scenario is not None else {}
    _reachable(cluster)
    kwargs: dict[str, Any] = {
        "runtime_env": env,
        "namespace": "loadpulse",
        "logging_level": logging.ERROR,
        "log_to_driver": False,  # the actors' output would interleave with the progress line
        "configure_logging": True,
    }
    if cluster.local:
        kwargs["include_dashboard"] = False
    try:
        ray.init(address=cluster.address, **kwargs)
    except Exception as exc:  # Ray says why in many exception types: one line is what the user needs
        ray.shutdown()
        raise BadInput(f"--cluster {cluster.given}: cannot connect to Ray: {_first_line(exc)}") from None
    _driver_prints(False)
    return RayCluster(cluster, ray)


def _driver_prints(on: bool) -> None:
    """Ray's own printing in this process, on or off. ``log_to_driver=False`` keeps the actors' output
    out, but not the errors the cluster pushes to every driver: a killed actor brings a "(raylet) A worker
    died..." paragraph, printed on stdout (it would break ``--json -``) and over the progress line, beside
    loadpulse's own loss warning that says it in one line. Ray 2.60 has no setting for those; its debugger
    mutes them with this module flag, which the driver's error listener reads before each print."""
    try:
        from ray._private import worker
    except ImportError:
        return
    if hasattr(worker, "_worker_logs_enabled"):
        worker._worker_logs_enabled = on


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return next(iter(_lines(text)), text)


def _lines(text: str) -> Iterator[str]:
    return (line.strip() for line in text.splitlines() if line.strip())

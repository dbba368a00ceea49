"""The Ray backend's parts that need no cluster: addresses, the shipped folder, the greeting's clock."""

from __future__ import annotations

import sys
import threading
from multiprocessing import Pipe
from pathlib import Path

import pytest

from loadpulse.cli.worker_options import worker_count
from loadpulse.engine import ray_cluster
from loadpulse.engine.ray_cluster import import_ray, parse_cluster, runtime_env
from loadpulse.engine.ray_worker import ShiftedClock, greet
from loadpulse.errors import BadInput


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ray", None),
        ("auto", "auto"),
        ("ray://127.0.0.1:10001", "ray://127.0.0.1:10001"),
        ("127.0.0.1:6379", "127.0.0.1:6379"),
        ("head.example:6379", "head.example:6379"),
    ],
)
def test_cluster_addresses(text: str, address: str | None) -> None:
    cluster = parse_cluster(text)
    assert cluster.address == address
    assert cluster.local == (address is None)
    assert cluster.client == text.startswith("ray://")


@pytest.mark.parametrize(
    "text", ["bogus", "127.0.0.1", "127.0.0.1:port", "ray://", "host:0", "h:70000", "a/b:1"]
)
def test_a_malformed_address_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match="is not ray, auto, ray://HOST:PORT or HOST:PORT"):
        parse_cluster(text)


def test_without_ray_one_line_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(BadInput) as caught:
        import_ray()
    assert str(caught.value) == "--cluster ray needs Ray: pip install 'loadpulse[ray]'"


def test_the_scenarios_folder_is_the_working_dir_caches_left_out(tmp_path: Path) -> None:
    (tmp_path / "scenario.py").write_text("")
    env = runtime_env(str(tmp_path / "scenario.py"))
    assert env["working_dir"] == str(tmp_path)
    assert {".git", ".venv", "__pycache__", "node_modules"} <= set(env["excludes"])


def test_a_folder_too_big_to_ship_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ray_cluster, "SHIPPED_MAX_BYTES", 1000)
    (tmp_path / "scenario.py").write_text("")
    (tmp_path / "data.bin").write_bytes(b"x" * 2000)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "pack").write_bytes(b"x" * 500)  # never shipped: not counted
    with pytest.raises(BadInput, match="shipped to every Ray node"):
        runtime_env(str(tmp_path / "scenario.py"))
    (tmp_path / "data.bin").unlink()
    runtime_env(str(tmp_path / "scenario.py"))


def test_the_greeting_moves_go_onto_the_actors_clock() -> None:
    coordinator, actor = Pipe()

    def answer() -> None:
        assert coordinator.recv() == ("hello", 1, "10.0.0.2", "node-b")
        coordinator.send(("clock", 1_000))  # the coordinator's clock reads 1,000 ns
        coordinator.send(("go", 5_000))
        coordinator.send(("stop",))

    thread = threading.Thread(target=answer)
    thread.start()
    offset = greet(actor, 1, "10.0.0.2", "node-b")
    thread.join()
    shifted = ShiftedClock(actor, offset)
    go = shifted.recv()
    assert go == ("go", 5_000 + offset)
    assert shifted.recv() == ("stop",)


def test_a_clusters_cpus_bound_the_worker_count() -> None:
    assert worker_count("auto", None, (3, 4)) == 3
    assert worker_count("auto", 1, (3, 4)) == 2
    assert worker_count("2", None, (3, 4)) == 2
    with pytest.raises(BadInput, match=r"--workers 5: the Ray cluster has 3 CPUs free \(4 in all\)"):
        worker_count("5", None, (3, 4))
    with pytest.raises(BadInput, match="leaves none of the 3 free CPUs of the Ray cluster"):
        worker_count("auto", 3, (3, 4))

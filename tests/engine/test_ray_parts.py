"""The Ray backend's parts that need no cluster: addresses, the shipped folder, the greeting's clock (the
start time and the tracked items' send times moved between an actor's clock and the coordinator's)."""

from __future__ import annotations

import sys
import threading
from multiprocessing import Pipe
from pathlib import Path
from types import ModuleType
from typing import cast

import pytest

from loadpulse.cli.demo import _check_nodes
from loadpulse.cli.worker_options import worker_count
from loadpulse.engine import ray_cluster
from loadpulse.engine.ray_cluster import RayCluster, import_ray, parse_cluster, runtime_env
from loadpulse.engine.ray_worker import ShiftedClock, greet
from loadpulse.errors import BadInput
from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.reconcile import Observation, Reconciler
from loadpulse.pipeline.shipping import TrackedDelta, TrackShipper, apply_delta, shifted
from loadpulse.pipeline.tracking import UNSET, Tracker


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


@pytest.mark.parametrize("offset_ns", [0, 3_000_000_000, -2_000_000_000])
def test_tracked_send_times_reach_the_coordinator_on_its_clock(offset_ns: int) -> None:
    """An actor whose clock is ``offset_ns`` ahead of the coordinator's tracks items at its own readings;
    the coordinator reconciles them against a sink's persist times on its clock: the end-to-end latency is
    the real one (50 ms), not 50 ms plus the clocks' difference."""
    coordinator_t0 = 10_000_000_000
    actor_t0 = coordinator_t0 + offset_ns  # what ShiftedClock makes of ("go", coordinator_t0)
    worker = Tracker("w1")
    ids = []
    for i in range(3):
        slot = worker.new_slot(actor_t0 + i * 1_000_000_000)  # sent at 0, 1, 2 s into the run
        worker.settle(slot, True)
        ids.append(worker.generated_id(slot))
    pending = worker.new_id()  # sent time not known yet
    coordinator, actor = Pipe()
    clock = ShiftedClock(actor, offset_ns)
    clock.send(("track", TrackShipper(worker).take()))
    kind, delta = coordinator.recv()
    assert kind == "track" and isinstance(delta, TrackedDelta)
    mirror = Tracker("w1")
    apply_delta(mirror, delta)
    assert mirror.sent_ns_at(worker.slot(pending) or 0) == UNSET  # unknown stays unknown
    # The sink stored each item 50 ms after it was sent, on the wall clock the coordinator's anchor reads.
    anchor = ClockAnchor(coordinator_t0, 1_700_000_000.0)
    reconciler = Reconciler([mirror], anchor=anchor)
    observed = coordinator_t0 + 5_000_000_000
    reconciler.observe(
        [Observation(item, observed, 1_700_000_000.0 + i + 0.05) for i, item in enumerate(ids)]
    )
    e2e = reconciler.result(observed).e2e
    assert e2e.total == 3
    assert 49_000 <= e2e.min_us <= e2e.max_us <= 51_000


def test_a_shifted_delta_moves_new_and_settled_send_times_alike() -> None:
    worker = Tracker("w1")
    shipper = TrackShipper(worker)
    early = worker.new_id()  # shipped before its send time is known
    worker.new_slot(5_000)
    shipper.take()
    worker.sent_at(early, 7_000)
    worker.new_slot(9_000)
    delta = shipper.take()
    assert delta is not None
    moved = shifted(delta, 2_000)
    assert moved.sent_ns.tolist() == [7_000]  # the new slot
    assert moved.updated_sent_ns.tolist() == [5_000]  # the early one, settled since
    assert shifted(delta, 0) is delta
    assert shifted(delta, 10**12).sent_ns.tolist() == [0]  # never before the clock's origin


class _Nodes:
    """A connected cluster whose nodes are at ``addresses``."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    def nodes(self) -> list[dict[str, object]]:
        dead = {"NodeManagerAddress": "203.0.113.9", "Alive": False}  # a dead node is no one's concern
        return [*({"NodeManagerAddress": a, "Alive": True} for a in self.addresses), dead]


def test_the_demo_refuses_a_cluster_with_nodes_on_other_machines() -> None:
    here = RayCluster(parse_cluster("ray"), cast(ModuleType, _Nodes("127.0.0.1")))
    assert here.remote_nodes() == []
    _check_nodes(here)
    there = RayCluster(parse_cluster("ray"), cast(ModuleType, _Nodes("127.0.0.1", "203.0.113.7")))
    assert there.remote_nodes() == ["203.0.113.7"]
    with pytest.raises(BadInput, match=r"out of reach of the cluster's node 203\.0\.113\.7;"):
        _check_nodes(there)


def test_a_clusters_cpus_bound_the_worker_count() -> None:
    assert worker_count("auto", None, (3, 4)) == 3
    assert worker_count("auto", 1, (3, 4)) == 2
    assert worker_count("2", None, (3, 4)) == 2
    with pytest.raises(BadInput, match=r"--workers 5: the Ray cluster has 3 CPUs free \(4 in all\)"):
        worker_count("5", None, (3, 4))
    with pytest.raises(BadInput, match="leaves none of the 3 free CPUs of the Ray cluster"):
        worker_count("auto", 3, (3, 4))

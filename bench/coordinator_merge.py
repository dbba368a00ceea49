"""What the coordinator of a ``--workers`` run spends per interval on N workers' snapshots (issue 12).

    .venv/bin/python bench/coordinator_merge.py WORKERS NAMES VALUES_PER_NAME [--dict] [--spread]
    e.g. 64 3 20000

Each simulated worker records VALUES_PER_NAME latencies for each of NAMES request names (lognormal around
0.8 ms; ``--spread``: evenly over 1 us .. 1 s on a log scale, the worst case for a histogram's size). Its
snapshot is pickled as the workers send it (``--dict``: as ``Snapshot.to_dict()`` instead). Timed, per
interval, is the coordinator's side: unpickling (in the workers' reading threads), the merge
(``merge_interval``) and ``Aggregate.add``. Pure CPU, no processes.
"""

from __future__ import annotations

import pickle
import sys
import time

import numpy as np

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.interval_merge import Gauges, merge_interval
from loadpulse.metrics.recorder import Recorder
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.protocols.http.status import http_status_kind


def worker_snapshot(seed: int, names: int, per: int, interval: int, as_dict: bool, spread: bool) -> bytes:
    rng = np.random.default_rng(seed)
    recorder = Recorder()
    for i in range(names):
        rec = recorder.for_name(f"GET /x/{i}", http_status_kind)
        lat = np.exp(rng.uniform(0, np.log(1e6), per)) if spread else rng.lognormal(np.log(800), 0.6, per)
        lat = np.maximum(lat, 1).astype(np.int64)
        rec.lat.frombytes(lat.tobytes())
        rec.ttfb.frombytes((lat * 9 // 10).tobytes())
        rec.status.frombytes(np.full(per, 200, dtype=np.uint16).tobytes())
    recorder.for_scenario("default").iterations += names * per
    snap = recorder.cut((interval + 1) * 10**9)
    return pickle.dumps(("snap", snap.to_dict() if as_dict else snap), protocol=pickle.HIGHEST_PROTOCOL)


def main(workers: int, names: int, per: int, as_dict: bool, spread: bool) -> None:
    aggregate = Aggregate()
    gauges = {i: Gauges() for i in range(workers)}
    for interval in range(3):
        wire = [
            worker_snapshot(i * 7 + interval, names, per, interval, as_dict, spread) for i in range(workers)
        ]
        t0 = time.process_time()
        decoded = [pickle.loads(m)[1] for m in wire]
        snaps = [Snapshot.from_dict(d) for d in decoded] if as_dict else decoded
        for i, s in enumerate(snaps):
            gauges[i].read(s)
        t1 = time.process_time()
        merged = merge_interval(interval, interval * 10**9, (interval + 1) * 10**9, snaps, gauges)
        aggregate.add(merged)
        t2 = time.process_time()
        size = sum(len(m) for m in wire) / workers
        print(
            f"interval {interval}: {workers} snapshots of {size / 1024:.1f} KiB: "
            f"decode {1000 * (t1 - t0):.1f} ms, "
            f"merge + aggregate {1000 * (t2 - t1):.1f} ms, total {1000 * (t2 - t0):.1f} ms CPU"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]),
        int(sys.argv[2]),
        int(sys.argv[3]),
        "--dict" in sys.argv[4:],
        "--spread" in sys.argv[4:],
    )

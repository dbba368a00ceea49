"""What cutting one interval costs the event loop, by number of active request names (issue 16).

    .venv/bin/python bench/cut.py NAMES VALUES_PER_NAME     e.g. 1000 5, 100 50, 10 5000

Prints, for three intervals, the time of ``Recorder.cut`` (on the generator's event loop every interval)
and of ``Aggregate.add`` (the coordinator's merge). Pure CPU, no network.
"""

from __future__ import annotations

import sys
import time

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.recorder import Recorder
from loadpulse.protocols.http.status import http_status_kind


def main(names: int, per: int) -> None:
    recorder, aggregate = Recorder(), Aggregate()
    for interval in range(3):
        for i in range(names):
            rec = recorder.for_name(f"GET /x/{i}", http_status_kind)
            for k in range(per):
                rec.lat.append(1000 + k)
                rec.svc.append(900 + k)
                rec.ttfb.append(800)
                rec.status.append(200)
        t0 = time.perf_counter()
        snap = recorder.cut((interval + 1) * 10**9)
        t1 = time.perf_counter()
        aggregate.add(snap)
        t2 = time.perf_counter()
        cut_ms, add_ms = 1000 * (t1 - t0), 1000 * (t2 - t1)
        print(f"names={names} values/name={per}  cut {cut_ms:.1f} ms  add {add_ms:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))

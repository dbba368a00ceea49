"""A run's timeline as numpy columns for the drift test, extended as the run goes (pure, no I/O).

A drift threshold is evaluated every interval, on a series that only ever grows by appending: reading
every row again each second would cost O(run length) Python work per second (about 50 ms a second into a
day-long soak). So the columns already read are kept, and only the new rows are read. The cache is
bounded (a few runs' worth) and checks that it is still looking at the same list: the first row object
and the last one read must be the very ones it read (it holds them, so neither identity can be reused).
Rows are never changed once the aggregate appended them; a caller that edits rows in place (a test)
passes a new list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.drift_stats import FloatArray

LATENCY_KEYS = ("p50", "p95", "p99")
ERRORS, THROUGHPUT, PROBE = "errors.rate", "requests.rate", "probe."
_MAX_CACHED = 64


def row_value(r: SeriesRow, key: str) -> float:
    """One interval's value of a drift series; NaN where it has none (a gap)."""
    if key in LATENCY_KEYS:
        # max_ms is 0 only when nothing was timed in the interval: its percentiles are then no value.
        return float(getattr(r, f"{key}_ms")) if r.max_ms > 0 else math.nan
    if key == ERRORS:
        return r.failed / r.requests if r.requests else math.nan
    if key == THROUGHPUT:
        return r.requests / r.interval_s
    if key.startswith(PROBE):
        return r.probes.get(key[len(PROBE) :], math.nan)
    raise KeyError(f"no drift series {key!r}")


@dataclass(slots=True)
class _Columns:
    first: SeriesRow
    last: SeriesRow
    t: FloatArray
    interval: FloatArray
    y: FloatArray


_cache: dict[tuple[int, str], _Columns] = {}


def columns(rows: Sequence[SeriesRow], key: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(t_s, interval_s, value) of every row, NaN for a gap."""
    n = len(rows)
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty, empty
    ident = (id(rows), key)
    got = _cache.get(ident)
    done = 0
    if got is not None and got.first is rows[0] and got.t.size <= n and rows[got.t.size - 1] is got.last:
        done = got.t.size
    new = rows[done:]
    t = np.array([r.t_s for r in new], dtype=np.float64)
    interval = np.array([r.interval_s for r in new], dtype=np.float64)
    y = np.array([row_value(r, key) for r in new], dtype=np.float64)
    if done:
        assert got is not None
        t, interval, y = (np.concatenate(p) for p in ((got.t, t), (got.interval, interval), (got.y, y)))
    if ident not in _cache and len(_cache) >= _MAX_CACHED:
        _cache.clear()
    _cache[ident] = _Columns(rows[0], rows[-1], t, interval, y)
    return t, interval, y

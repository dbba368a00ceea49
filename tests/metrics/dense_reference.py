"""The dense histogram loadpulse had before the sparse one, kept as the reference the sparse one must match.

Only the reading side (percentiles, count_le, nonzero, binned) is here, computed from dense counts exactly
as the old implementation did.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from loadpulse.metrics.histogram import _LOW, _MID, _WIDTH, Histogram


def dense_percentiles(h: Histogram, qs: Iterable[float]) -> list[float]:
    qlist = list(qs)
    if h.total == 0:
        return [0.0 for _ in qlist]
    cum = np.cumsum(h.counts)
    out: list[float] = []
    for q in qlist:
        rank = max(1, int(np.ceil(q / 100.0 * h.total)))
        i = int(np.searchsorted(cum, rank, side="left"))
        out.append(float(min(max(_MID[i], h.min_us), h.max_us)))
    return out


def dense_count_le(h: Histogram, bounds_us: Iterable[int]) -> list[int]:
    cum = np.cumsum(h.counts)
    upper = _LOW + _WIDTH - 1
    out = []
    for b in bounds_us:
        i = int(np.searchsorted(upper, b, side="right")) - 1
        out.append(int(cum[i]) if i >= 0 else 0)
    return out


def dense_nonzero(h: Histogram) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    counts = h.counts
    nz = np.flatnonzero(counts)
    return np.clip(_MID[nz], h.min_us, h.max_us), counts[nz]


def dense_binned(h: Histogram, bins: int = 60) -> tuple[list[float], list[int]]:
    if h.total == 0:
        return [], []
    counts = h.counts
    nz = np.flatnonzero(counts)
    mids = np.clip(_MID[nz], h.min_us, h.max_us)
    lo, hi = max(float(h.min_us), 1.0), max(float(h.max_us), 1.0)
    if hi <= lo:
        return [lo], [h.total]
    edges = np.geomspace(lo, hi * 1.0000001, bins + 1)
    binned, _ = np.histogram(mids, bins=edges, weights=counts[nz])
    return [float(e) for e in edges[:-1]], [int(c) for c in binned]


def dense_of(values: list[int]) -> npt.NDArray[np.int64]:
    """Dense counts of ``values`` by the old method: one bincount over every bucket."""
    from loadpulse.metrics.histogram import MAX_VALUE_US, MIN_VALUE_US, N_BUCKETS, bucket_index

    v = np.clip(np.asarray(values, dtype=np.int64), MIN_VALUE_US, MAX_VALUE_US)
    return np.bincount(bucket_index(v), minlength=N_BUCKETS)

"""Cutting every active name recorder of an interval at once.

:meth:`NameRecorder.cut` costs ~150 µs a name in numpy calls on tiny arrays, and it runs on the load
generator's event loop: 1,000 active names stalled the loop ~150 ms every second. Here each kind of
buffer (latency, service, ...) of all names is joined into one array, bucketed in one vectorized pass and
grouped by (name, bucket) with one sort; what is left per name is slicing and building small objects.
The result is exactly what :meth:`NameRecorder.cut` gives name by name (tests compare the two).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from loadpulse.metrics.histogram import (
    MAX_VALUE_US,
    MIN_VALUE_US,
    N_BUCKETS,
    Histogram,
    IntArray,
    bucket_index,
)
from loadpulse.metrics.snapshot import NameStats

if TYPE_CHECKING:
    from loadpulse.metrics.recorder import NameRecorder


def histograms(bufs: Sequence[array[int]]) -> list[Histogram | None]:
    """The histogram of each int64 buffer, or None for an empty one; the buffers are left as they are."""
    lengths = [len(b) for b in bufs]
    out: list[Histogram | None] = [None] * len(bufs)
    full = [i for i, n in enumerate(lengths) if n]
    if not full:
        return out
    sizes = np.array([lengths[i] for i in full], dtype=np.int64)
    values = np.frombuffer(b"".join([bufs[i] for i in full]), dtype=np.int64)
    values = np.clip(values, MIN_VALUE_US, MAX_VALUE_US)
    starts = _starts(sizes)
    idx, counts, bounds = _count(bucket_index(values), sizes, starts, N_BUCKETS)
    mins = np.minimum.reduceat(values, starts).tolist()
    maxs = np.maximum.reduceat(values, starts).tolist()
    sums = np.add.reduceat(values, starts).tolist()
    trusted = Histogram.trusted
    # Views of one array per kind, not copies: these slices never overlap (Histogram adds into ``n`` in
    # place), and a Snapshot lives one interval; what outlives it (the run's totals) is copied.
    for j, i in enumerate(full):
        lo, hi = bounds[j], bounds[j + 1]
        out[i] = trusted(idx[lo:hi], counts[lo:hi], lengths[i], sums[j], mins[j], maxs[j])
    return out


def _starts(sizes: IntArray) -> IntArray:
    starts = np.zeros(sizes.size, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    return starts


def _count(
    keys: IntArray, sizes: IntArray, starts: IntArray, limit: int
) -> tuple[IntArray, IntArray, list[int]]:
    """Count each distinct key in each run of ``keys`` (runs of ``sizes``, all > 0, at ``starts``; every
    key in [0, ``limit``)): (keys, counts, where each run's entries start and end), keys increasing
    within a run."""
    first = np.minimum.reduceat(keys, starts)
    span = np.maximum.reduceat(keys, starts) - first + 1
    row = np.zeros(span.size + 1, dtype=np.int64)
    np.cumsum(span, out=row[1:])
    width = int(row[-1])
    if width <= 4 * keys.size + 65536:
        # Each run gets the span between its lowest and highest key as one dense row: while those rows
        # are not much longer than the values, one bincount is several times faster than a sort.
        shift = row[:-1] - first
        dense = np.bincount(keys + np.repeat(shift, sizes), minlength=width)
        at = np.flatnonzero(dense)
        bounds = np.searchsorted(at, row)
        return at - np.repeat(shift, np.diff(bounds)), dense[at], bounds.tolist()
    # Sparse rows (a few values of 1 µs and of an hour): one sort over a combined key, which orders by
    # run first, so each run's keys come out as one increasing stretch.
    owner = np.repeat(np.arange(span.size, dtype=np.int64), sizes)
    combined, counts = np.unique(owner * limit + keys, return_counts=True)
    ends = np.searchsorted(combined, np.arange(span.size + 1, dtype=np.int64) * limit)
    return combined % limit, counts, ends.tolist()


def _statuses(bufs: Sequence[array[int]]) -> list[dict[int, int]]:
    """Count of each status code in each uint16 buffer."""
    out: list[dict[int, int]] = [{} for _ in bufs]
    full = [i for i, b in enumerate(bufs) if b]
    if not full:
        return out
    sizes = np.array([len(bufs[i]) for i in full], dtype=np.int64)
    codes = np.frombuffer(b"".join([bufs[i] for i in full]), dtype=np.uint16).astype(np.int64)
    keys, counts, bounds = _count(codes, sizes, _starts(sizes), 1 << 16)
    owners = np.repeat(np.array(full, dtype=np.int64), np.diff(bounds)).tolist()
    # One flat loop over (name, code) pairs: most names have one or two codes.
    for i, code, n in zip(owners, keys.tolist(), counts.tolist(), strict=True):
        out[i][code] = n
    return out


def cut_all(recs: Sequence[NameRecorder]) -> list[NameStats]:
    """:meth:`NameRecorder.cut` of each recorder, in order, in one batch."""
    if not recs:
        return []
    lat = histograms([r.lat for r in recs])
    svc = histograms([r.svc for r in recs])
    ttfb = histograms([r.ttfb for r in recs])
    connect = histograms([r.connect for r in recs])
    tls = histograms([r.tls for r in recs])
    statuses = _statuses([r.status for r in recs])
    out = []
    for rec, latency, service, ttfb_h, connect_h, tls_h, codes in zip(
        recs, lat, svc, ttfb, connect, tls, statuses, strict=True
    ):
        latency = latency or Histogram()
        errors = dict(rec.errors)
        other_errors = failed = sum(errors.values())
        kind_of = rec.status_kind
        for code, n in codes.items():
            kind = kind_of(code)
            if kind is not None:
                errors[kind] = errors.get(kind, 0) + n
                failed += n
        ends = rec.ends
        for kind, n in ends.items():  # in the kinds, not in requests or failed (NameRecorder.end)
            errors[kind] = errors.get(kind, 0) + n
        requests = len(rec.status) + rec.done + other_errors
        out.append(
            NameStats(
                latency=latency,
                service=latency.copy() if service is None else service,
                ttfb=ttfb_h or Histogram(),
                connect=connect_h or Histogram(),
                tls=tls_h or Histogram(),
                requests=requests,
                ok=requests - failed,
                failed=failed,
                statuses=codes,
                errors=errors,
                connection_errors=dict(ends) if ends else {},
                bytes_in=rec.bytes_in,
                bytes_out=rec.bytes_out,
            )
        )
        rec.clear()
    return out

"""HDR-style log-linear latency histogram on numpy.

Values are integer microseconds from 1 µs to 1 h. Below 2**SUB_BITS every value has its own bucket; above,
each power of two is split into 2**(SUB_BITS-1) equal buckets, so a bucket is never wider than 1/1024 of
its value: better than 3 significant digits everywhere. Only the buckets in use are stored (a sorted array
of bucket indexes and one of their counts): a dense array of all N_BUCKETS would cost 184 KiB per
histogram, five per request name per interval, and a run requesting many distinct URLs would have its
memory set by the target's URL space. Memory is bounded by N_BUCKETS however many values are recorded,
and is usually a few hundred buckets. Two histograms merge by adding counts bucket by bucket
(merge(a, b) is exactly the histogram of both value streams). Min, max and sum are tracked exactly
beside the buckets.

Pure: no I/O, no clocks. Recording single values is for tests and slow paths; the hot path hands whole
numpy arrays to :meth:`Histogram.record_many`, where bucketing is vectorized.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

SUB_BITS = 11
SUB_COUNT = 1 << SUB_BITS  # 2048: values below this are exact
HALF = SUB_COUNT >> 1
MIN_VALUE_US = 1
MAX_VALUE_US = 3_600_000_000  # 1 hour
_MAX_EXP = int(MAX_VALUE_US).bit_length() - SUB_BITS
N_BUCKETS = SUB_COUNT + _MAX_EXP * HALF

IntArray = npt.NDArray[np.int64]


def bucket_index(values: IntArray) -> IntArray:
    """Bucket index of each value (µs), clamped into [MIN_VALUE_US, MAX_VALUE_US]."""
    v = np.clip(values.astype(np.int64, copy=False), MIN_VALUE_US, MAX_VALUE_US)
    # A value's bit length is its float64 exponent (exact for integers below 2**53, which 1 h in µs is far
    # below) less the bias 1022; the shift is how far it is past SUB_BITS. The bucket is then
    # ``shift * HALF + (v >> shift)``, which is ``v`` itself when shift == 0. In place on two
    # temporaries: fresh arrays per step made this the costliest part of a cut (5x slower).
    shift = v.astype(np.float64).view(np.int64)
    shift >>= 52
    shift -= 1022 + SUB_BITS
    np.maximum(shift, 0, out=shift)
    v >>= shift
    shift *= HALF
    shift += v
    return shift


def _bucket_bounds() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    idx = np.arange(N_BUCKETS, dtype=np.int64)
    low = idx.astype(np.float64)
    width = np.ones(N_BUCKETS)
    upper = idx >= SUB_COUNT
    shift = (idx[upper] - SUB_COUNT) // HALF + 1
    sub = (idx[upper] - SUB_COUNT) % HALF + HALF
    low[upper] = (sub << shift).astype(np.float64)
    width[upper] = (1 << shift).astype(np.float64)
    return low, width


_LOW, _WIDTH = _bucket_bounds()
# A bucket's representative value is its midpoint: the unbiased estimate for values spread inside it.
_MID = _LOW + (_WIDTH - 1) / 2
_UPPER = _LOW + _WIDTH - 1


class Distribution(Protocol):
    """What readers of a distribution use: the latency :class:`Histogram` (µs) and a custom trend's
    :class:`~loadpulse.metrics.trend.TrendHistogram` (the user's units) both answer it."""

    @property
    def total(self) -> int: ...
    @property
    def min_us(self) -> float: ...
    @property
    def max_us(self) -> float: ...
    @property
    def mean_us(self) -> float: ...
    def percentile(self, q: float) -> float: ...
    def percentiles(self, qs: Iterable[float]) -> list[float]: ...


_EMPTY: IntArray = np.empty(0, dtype=np.int64)
_EMPTY.flags.writeable = False  # shared by every empty histogram; replaced, never written, on first use


class Histogram:
    """Mergeable latency histogram; see the module docstring for the bucket layout.

    Invariant: ``idx`` is strictly increasing and every count in ``n`` is positive. ``n`` is owned by this
    histogram (it is added into in place); ``idx`` is never written.
    """

    __slots__ = ("idx", "max_us", "min_us", "n", "sum_us", "total")

    def __init__(
        self,
        idx: IntArray = _EMPTY,
        n: IntArray = _EMPTY,
        total: int = 0,
        sum_us: int = 0,
        min_us: int = 0,
        max_us: int = 0,
    ) -> None:
        self.idx = idx
        """Indexes of the non-empty buckets, increasing."""
        self.n = n
        """Count of each bucket in ``idx``."""
        self.total = total
        self.sum_us = sum_us
        self.min_us = min_us
        self.max_us = max_us

    @classmethod
    def empty(cls) -> Histogram:
        return cls()

    @classmethod
    def trusted(
        cls, idx: IntArray, n: IntArray, total: int, sum_us: int, min_us: int, max_us: int
    ) -> Histogram:
        """A histogram from parts that already hold the class invariant (no checks: for batch builders
        such as :func:`~loadpulse.metrics.batched_cut.cut_all`); ``n`` becomes this histogram's own."""
        h = cls.__new__(cls)
        h.idx, h.n, h.total, h.sum_us, h.min_us, h.max_us = idx, n, total, sum_us, min_us, max_us
        return h

    @classmethod
    def of(cls, values_us: Iterable[int] | IntArray) -> Histogram:
        h = cls.empty()
        h.record_many(np.asarray(list(values_us) if not isinstance(values_us, np.ndarray) else values_us))
        return h

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return (self.total, self.sum_us, self.min_us, self.max_us) == (
            other.total,
            other.sum_us,
            other.min_us,
            other.max_us,
        ) and (np.array_equal(self.idx, other.idx) and np.array_equal(self.n, other.n))

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        span = f"min_us={self.min_us}, max_us={self.max_us}"
        return f"Histogram(total={self.total}, buckets={self.idx.size}, {span})"

    @property
    def buckets(self) -> int:
        """How many buckets are in use: what this histogram's memory is proportional to."""
        return int(self.idx.size)

    @property
    def counts(self) -> IntArray:
        """Dense counts over all N_BUCKETS (a new 184 KiB array: for tests and one-off readers)."""
        dense = np.zeros(N_BUCKETS, dtype=np.int64)
        dense[self.idx] = self.n
        return dense

    def record(self, value_us: int) -> None:
        self.record_many(np.array([value_us], dtype=np.int64))

    def record_many(self, values_us: IntArray) -> None:
        if values_us.size == 0:
            return
        v = np.clip(values_us.astype(np.int64, copy=False), MIN_VALUE_US, MAX_VALUE_US)
        # A bincount over the used index range (a temporary for this call only) is as fast as sorting
        # the indexes for small buffers and faster for large ones.
        dense = np.bincount(bucket_index(v))
        idx = np.flatnonzero(dense)
        self._add(idx, dense[idx], owned=True)
        lo, hi = int(v.min()), int(v.max())
        self.min_us = lo if self.total == 0 else min(self.min_us, lo)
        self.max_us = max(self.max_us, hi)
        self.total += int(v.size)
        self.sum_us += int(v.sum())

    def _add(self, idx: IntArray, n: IntArray, owned: bool) -> None:
        """Add counts ``n`` at sorted unique bucket indexes ``idx``; ``owned``: ``n`` may be kept as is."""
        if idx.size == 0:
            return
        if self.idx.size == 0:
            self.idx, self.n = (idx, n) if owned else (idx.copy(), n.copy())
            return
        pos = self.idx.searchsorted(idx)
        # Compared as bytes: exact for these int64 arrays (another dtype just takes the general path
        # below), and several times cheaper than numpy's comparison on arrays this small.
        if pos[-1] < self.idx.size and self.idx[pos].tobytes() == idx.tobytes():
            # Every bucket already in use (the common case once an interval has warmed up): add in place.
            self.n[pos] += n
            return
        # Merge two sorted runs: a stable sort of their concatenation (not np.unique, which hashes and is
        # ten times slower here), then add the counts of equal neighbours.
        both = np.concatenate((self.idx, idx))
        order = np.argsort(both, kind="stable")
        both = both[order]
        starts = np.flatnonzero(np.concatenate(([True], both[1:] != both[:-1])))
        self.idx, self.n = both[starts], np.add.reduceat(np.concatenate((self.n, n))[order], starts)

    def merge(self, other: Histogram) -> None:
        """Add ``other`` into this histogram in place."""
        if other.total == 0:
            return
        self._add(other.idx, other.n, owned=False)
        self.min_us = other.min_us if self.total == 0 else min(self.min_us, other.min_us)
        self.max_us = max(self.max_us, other.max_us)
        self.total += other.total
        self.sum_us += other.sum_us

    @classmethod
    def sum_of(cls, hists: Sequence[Histogram]) -> Histogram:
        """One histogram of all of ``hists`` (equal to merging them one by one, without the sorted merge
        per histogram: one dense count over all buckets instead)."""
        used = [h for h in hists if h.total]
        if not used:
            return cls()
        if len(used) == 1:
            return used[0].copy()
        dense = np.zeros(N_BUCKETS, dtype=np.int64)
        np.add.at(dense, np.concatenate([h.idx for h in used]), np.concatenate([h.n for h in used]))
        idx = np.flatnonzero(dense)
        total, sum_us = sum(h.total for h in used), sum(h.sum_us for h in used)
        return cls.trusted(
            idx, dense[idx], total, sum_us, min(h.min_us for h in used), max(h.max_us for h in used)
        )

    def copy(self) -> Histogram:
        """An independent copy; ``idx`` too, as it may be a view into a whole batch's array (see
        :func:`~loadpulse.metrics.batched_cut.histograms`) that a long-lived copy must not keep alive."""
        if not self.idx.size:
            return Histogram(total=self.total, sum_us=self.sum_us, min_us=self.min_us, max_us=self.max_us)
        return Histogram(self.idx.copy(), self.n.copy(), self.total, self.sum_us, self.min_us, self.max_us)

    @property
    def mean_us(self) -> float:
        return self.sum_us / self.total if self.total else 0.0

    def percentiles(self, qs: Iterable[float]) -> list[float]:
        """Values (µs) at each percentile in ``qs`` (0..100); 0.0 for an empty histogram.

        A percentile is the representative of the bucket holding the ceil(q% * n)-th smallest value,
        clamped to the exact min and max so p0 and p100 are never invented.
        """
        qlist = list(qs)
        if self.total == 0:
            return [0.0 for _ in qlist]
        cum = np.cumsum(self.n)
        out: list[float] = []
        for q in qlist:
            rank = max(1, int(np.ceil(q / 100.0 * self.total)))
            i = int(np.searchsorted(cum, rank, side="left"))
            out.append(float(min(max(_MID[self.idx[i]], self.min_us), self.max_us)))
        return out

    def percentile(self, q: float) -> float:
        return self.percentiles([q])[0]

    def count_le(self, bounds_us: Iterable[int]) -> list[int]:
        """How many values are <= each bound (by bucket: a bucket counts once its upper edge is within)."""
        cum = np.cumsum(self.n)
        out = []
        for b in bounds_us:
            last = int(np.searchsorted(_UPPER, b, side="right")) - 1  # last bucket wholly within b
            k = int(np.searchsorted(self.idx, last, side="right"))  # used buckets up to it
            out.append(int(cum[k - 1]) if k > 0 else 0)
        return out

    def nonzero(self) -> tuple[npt.NDArray[np.float64], IntArray]:
        """(representative value in µs, count) of every non-empty bucket, in increasing order."""
        return np.clip(_MID[self.idx], self.min_us, self.max_us), self.n.copy()

    def binned(self, bins: int = 60) -> tuple[list[float], list[int]]:
        """(left edges in µs, counts) over ``bins`` log-spaced bins from min to max (for a chart)."""
        if self.total == 0:
            return [], []
        mids = np.clip(_MID[self.idx], self.min_us, self.max_us)
        lo, hi = max(float(self.min_us), 1.0), max(float(self.max_us), 1.0)
        if hi <= lo:
            return [lo], [self.total]
        edges = np.geomspace(lo, hi * 1.0000001, bins + 1)
        counts, _ = np.histogram(mids, bins=edges, weights=self.n)
        return [float(e) for e in edges[:-1]], [int(c) for c in counts]

    def to_sparse(self) -> dict[str, object]:
        """Compact, serializable form: only non-empty buckets travel."""
        return {
            "idx": self.idx.tolist(),
            "n": self.n.tolist(),
            "total": self.total,
            "sum": self.sum_us,
            "min": self.min_us,
            "max": self.max_us,
        }

    @classmethod
    def from_sparse(cls, data: dict[str, object]) -> Histogram:
        """Read :meth:`to_sparse`'s form; indexes may come in any order and repeat (their counts add).
        Raises ValueError for data no histogram could have produced."""
        idx = np.asarray(data["idx"], dtype=np.int64)
        n = np.asarray(data["n"], dtype=np.int64)
        if idx.ndim != 1 or idx.shape != n.shape:
            raise ValueError("histogram data: 'idx' and 'n' must be lists of the same length")
        if idx.size and (idx.min() < 0 or idx.max() >= N_BUCKETS or n.min() < 0):
            raise ValueError("histogram data out of range")
        h = cls(
            total=int(data["total"]),  # type: ignore[call-overload]
            sum_us=int(data["sum"]),  # type: ignore[call-overload]
            min_us=int(data["min"]),  # type: ignore[call-overload]
            max_us=int(data["max"]),  # type: ignore[call-overload]
        )
        if int(n.sum()) != h.total:
            raise ValueError(f"histogram data: counts add up to {int(n.sum())}, not its total {h.total}")
        keep = n > 0
        idx, n = idx[keep], n[keep]
        if idx.size > 1 and not np.all(np.diff(idx) > 0):
            unique, where = np.unique(idx, return_inverse=True)
            summed = np.zeros(unique.size, dtype=np.int64)
            np.add.at(summed, where, n)
            idx, n = unique, summed
        h.idx, h.n = idx, n
        return h

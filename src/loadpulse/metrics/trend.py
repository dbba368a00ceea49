"""The distribution of a custom trend: exact min/max/sum/count, percentiles to 4 significant digits (pure).

A trend holds whatever the user measures — a queue depth, duplicates, a price, a delay in ms — so unlike
the latency :class:`~loadpulse.metrics.histogram.Histogram` (integer µs, 1 µs … 1 h) it takes zero,
negative and huge values. Zero was recorded as 0.001 and values past 1 h clamped before (issue 10, item
12): here min, max, sum and count are exact, and percentiles come from a sparse table of values rounded to
4 significant digits — every integer below 10,000 (and 0) is its own bucket, larger values keep a
relative error under 0.05 %. Memory is bounded by the spread of the values (at most 9,000 buckets per
decade and sign), never by how many were recorded, and merging adds counts like the latency histogram.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SIGNIFICANT = 4
_Q_LOW = 10 ** (SIGNIFICANT - 1)  # a mantissa has SIGNIFICANT digits: 1000 … 9999
_Q_HIGH = 10**SIGNIFICANT
_E_OFFSET = 400  # keeps exponents (-324 … 308) positive inside one int64 code
TINY = 1e-300
"""Magnitudes below this go to the 0 bucket (10**(e-3) would underflow); min/max/sum stay exact."""


def _codes(values: FloatArray) -> npt.NDArray[np.int64]:
    """Each value as one signed int64: sign * ((exponent + offset) * 10**SIGNIFICANT + mantissa); 0 is 0."""
    a = np.abs(values)
    nz = a >= TINY
    codes = np.zeros(values.shape, dtype=np.int64)
    if not nz.any():
        return codes
    mag = a[nz]
    e = np.floor(np.log10(mag)).astype(np.int64)
    q = np.rint(mag / 10.0 ** (e - (SIGNIFICANT - 1)))
    # log10 may land one decade off near powers of ten, and rounding may carry to 10**SIGNIFICANT.
    for _ in range(2):
        up, down = q >= _Q_HIGH, q < _Q_LOW
        e = np.where(up, e + 1, np.where(down, e - 1, e))
        if up.any() or down.any():
            q = np.rint(mag / 10.0 ** (e - (SIGNIFICANT - 1)))
    q = np.clip(q, _Q_LOW, _Q_HIGH - 1).astype(np.int64)
    codes[nz] = np.sign(values[nz]).astype(np.int64) * ((e + _E_OFFSET) * _Q_HIGH + q)
    return codes


def _value(code: int) -> float:
    """The rounded value a code stands for, as the nearest float to its decimal form (1230, not 1229.99…)."""
    if code == 0:
        return 0.0
    sign = -1 if code < 0 else 1
    e, q = divmod(abs(code), _Q_HIGH)
    return sign * float(f"{q}e{e - _E_OFFSET - (SIGNIFICANT - 1)}")


def rounded(values: Iterable[float]) -> list[float]:
    """The bucket value of each value (for tests and messages)."""
    return [_value(int(c)) for c in _codes(np.asarray(list(values), dtype=np.float64))]


@dataclass(slots=True)
class TrendHistogram:
    """Mergeable distribution of one trend's values, in the user's own units."""

    counts: dict[float, int] = field(default_factory=dict)
    """Value rounded to 4 significant digits -> how many recorded values round to it."""
    total: int = 0
    sum: float = 0.0
    min: float = 0.0
    max: float = 0.0

    @classmethod
    def empty(cls) -> TrendHistogram:
        return cls()

    @classmethod
    def of(cls, values: Iterable[float]) -> TrendHistogram:
        h = cls()
        h.record_many(np.asarray(list(values), dtype=np.float64))
        return h

    def record_many(self, values: FloatArray) -> None:
        """Record finite values (the recorder refuses NaN and infinities when they are added)."""
        if values.size == 0:
            return
        v = values.astype(np.float64, copy=False)
        codes, n = np.unique(_codes(v), return_counts=True)
        counts = self.counts
        for code, k in zip(codes.tolist(), n.tolist(), strict=True):
            key = _value(code)
            counts[key] = counts.get(key, 0) + k
        lo, hi = float(v.min()), float(v.max())
        self.min = lo if self.total == 0 else min(self.min, lo)
        self.max = hi if self.total == 0 else max(self.max, hi)
        self.total += int(v.size)
        self.sum += float(v.sum())  # numpy's pairwise sum: exact for integer values below 2**53

    def merge(self, other: TrendHistogram) -> None:
        if other.total == 0:
            return
        for key, k in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + k
        self.min = other.min if self.total == 0 else min(self.min, other.min)
        self.max = other.max if self.total == 0 else max(self.max, other.max)
        self.total += other.total
        self.sum += other.sum

    def copy(self) -> TrendHistogram:
        return TrendHistogram(dict(self.counts), self.total, self.sum, self.min, self.max)

    @property
    def mean(self) -> float:
        return self.sum / self.total if self.total else 0.0

    # The names latency readers use (summary, thresholds): a trend's values are in the user's units, not µs.
    @property
    def min_us(self) -> float:
        return self.min

    @property
    def max_us(self) -> float:
        return self.max

    @property
    def mean_us(self) -> float:
        return self.mean

    @property
    def sum_us(self) -> float:
        return self.sum

    def percentiles(self, qs: Iterable[float]) -> list[float]:
        """The value at each percentile (0..100): the bucket of the ceil(q% * n)-th smallest value,
        clamped to the exact min and max; 0.0 for an empty trend."""
        qlist = list(qs)
        if self.total == 0:
            return [0.0 for _ in qlist]
        keys = sorted(self.counts)
        cum = np.cumsum([self.counts[k] for k in keys])
        out: list[float] = []
        for q in qlist:
            rank = max(1, math.ceil(q / 100.0 * self.total))
            i = min(int(np.searchsorted(cum, rank, side="left")), len(keys) - 1)
            out.append(min(max(keys[i], self.min), self.max))
        return out

    def percentile(self, q: float) -> float:
        return self.percentiles([q])[0]

    def to_sparse(self) -> dict[str, object]:
        keys = sorted(self.counts)
        return {
            "v": keys,
            "n": [self.counts[k] for k in keys],
            "total": self.total,
            "sum": self.sum,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_sparse(cls, data: dict[str, Any]) -> TrendHistogram:
        if "idx" in data:
            return cls._from_latency_form(data)
        values = [float(v) for v in data["v"]]
        counts = [int(n) for n in data["n"]]
        if len(values) != len(counts) or any(n < 0 for n in counts):
            raise ValueError("trend data: 'v' and 'n' must be lists of the same length, counts >= 0")
        if not all(math.isfinite(v) for v in values):
            raise ValueError("trend data: values must be finite numbers")
        h = cls()
        for v, n in zip(values, counts, strict=True):
            h.counts[v] = h.counts.get(v, 0) + n
        h.total = int(data["total"])
        h.sum, h.min, h.max = float(data["sum"]), float(data["min"]), float(data["max"])
        return h

    @classmethod
    def _from_latency_form(cls, data: dict[str, Any]) -> TrendHistogram:
        """Results files written before trends were exact kept them as a latency histogram of value*1000."""
        from loadpulse.metrics.histogram import Histogram

        old = Histogram.from_sparse(data)
        h = cls()
        mids, n = old.nonzero()
        for key, k in zip(rounded((mids / 1000.0).tolist()), n.tolist(), strict=True):
            h.counts[key] = h.counts.get(key, 0) + int(k)
        h.total, h.sum = old.total, old.sum_us / 1000.0
        h.min, h.max = old.min_us / 1000.0, old.max_us / 1000.0
        return h

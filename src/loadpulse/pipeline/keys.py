"""A compact table of text keys (ids a system assigned), each mapped to the order it was added in.

A ``dict[str, int]`` costs about 157 B per 36-character UUID key: the text, the dict entry and the value as
Python objects. Here a key costs its UTF-8 bytes in one ``bytearray``, its end offset (8 B), and one entry
of an open-addressing hash table of 64-bit digests (16 B at most 70 % full, so 23-46 B): about 80 B for
a UUID. Lookups compare the stored text, so two keys with the same digest stay apart. The digest is
blake2b, not ``hash()``: the table is shipped to another process, where ``hash()`` is salted differently.
Growing rehashes with numpy (vectorized linear probing), so a key added at a million does not stall the
caller for a Python loop over the table.
"""

from __future__ import annotations

from array import array
from hashlib import blake2b

import numpy as np

_MAX_LOAD = 0.7


def _digest(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


class KeyTable:
    """Text keys, each numbered 0, 1, 2 ... in the order added."""

    __slots__ = ("_ends", "_table", "_text")

    def __init__(self, capacity: int = 64) -> None:
        size = 1 << max(4, (int(capacity / _MAX_LOAD) + 1).bit_length())
        # array, not numpy: a key is looked up on the event loop per ctx.track(key), and an array item is
        # read as a Python int several times faster than a numpy scalar. Growing views them as numpy.
        # (mask, digests, ordinals) in one tuple: a poll thread reads them while the event loop may grow
        # the table, and one attribute read is atomic where three are not.
        self._table = (size - 1, array("Q", bytes(8 * size)), array("q", [-1]) * size)
        self._text = bytearray()
        self._ends = array("q")

    def __len__(self) -> int:
        return len(self._ends)

    def key(self, ordinal: int) -> str:
        start = self._ends[ordinal - 1] if ordinal else 0
        return self._text[start : self._ends[ordinal]].decode("utf-8", "surrogatepass")

    def _probe(self, data: bytes, digest: int) -> tuple[int, int]:
        """(table position, ordinal) of ``data``; ordinal -1 and the free position when absent."""
        mask, digests, ordinals = self._table
        pos = digest & mask
        ends, text = self._ends, self._text
        while True:
            ordinal = ordinals[pos]
            if ordinal < 0:
                return pos, -1
            if digests[pos] == digest:
                start = ends[ordinal - 1] if ordinal else 0
                if text[start : ends[ordinal]] == data:
                    return pos, ordinal
            pos = (pos + 1) & mask

    def get(self, key: str) -> int | None:
        data = key.encode("utf-8", "surrogatepass")
        ordinal = self._probe(data, _digest(data))[1]
        return None if ordinal < 0 else ordinal

    def add(self, key: str) -> tuple[int, bool]:
        """(ordinal of ``key``, whether it was new)."""
        data = key.encode("utf-8", "surrogatepass")
        digest = _digest(data)
        pos, ordinal = self._probe(data, digest)
        if ordinal >= 0:
            return ordinal, False
        ordinal = len(self._ends)
        self._text += data
        self._ends.append(len(self._text))
        mask, digests, ordinals = self._table
        digests[pos] = digest  # before the ordinal: a reader sees a slot as taken only once it is whole
        ordinals[pos] = ordinal
        if len(self._ends) > _MAX_LOAD * (mask + 1):
            self._grow()
        return ordinal, True

    def _grow(self) -> None:
        mask, old_digests, old_ordinals = self._table
        digests = np.frombuffer(old_digests, dtype=np.uint64)
        ordinals = np.frombuffer(old_ordinals, dtype=np.int64)
        used = ordinals >= 0
        digests, ordinals = digests[used], ordinals[used]
        size = (mask + 1) * 2
        mask = size - 1
        new_digests = np.zeros(size, dtype=np.uint64)
        new_ordinals = np.full(size, -1, dtype=np.int64)
        pos = (digests & np.uint64(mask)).astype(np.int64)
        # Linear probing, all keys at once: each round places, at every free position wanted, the first
        # key wanting it; the others move one step on. A key only moves past a filled position, so each
        # stays reachable from its home position as one-at-a-time insertion would leave it.
        while pos.size:
            free = new_ordinals[pos] < 0
            _, first = np.unique(pos[free], return_index=True)
            placed = np.flatnonzero(free)[first]
            new_digests[pos[placed]] = digests[placed]
            new_ordinals[pos[placed]] = ordinals[placed]
            rest = np.ones(pos.size, dtype=bool)
            rest[placed] = False
            digests, ordinals = digests[rest], ordinals[rest]
            pos = (pos[rest] + 1) & mask
        self._table = (mask, array("Q", new_digests.tobytes()), array("q", new_ordinals.tobytes()))

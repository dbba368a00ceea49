"""What a run sent into a pipeline: one :class:`Tracker` per process, ids and send times in flat arrays.

Every tracked item gets a *slot*, a counter from 0. A generated id is the process prefix, ``-`` and the slot
in lowercase hex (``r4k2p0-1f3a``): short, URL and JSON safe, unique across runs and processes as long as
prefixes are, and parsed back to its slot by :meth:`Tracker.slot` without any per-item lookup table. An id
the system assigned (:meth:`Tracker.track`) takes the next slot too, and only
those keys are stored, in a compact :class:`~loadpulse.pipeline.keys.KeyTable`.

Per slot the tracker keeps the send time (int64 ns) and a state byte (pending, accepted, rejected, keyed):
9 bytes. Measured with tracemalloc (tests/pipeline/test_tracking.py checks the bound):

- 1,000,000 generated ids: about 9.4 MB (arrays double as they grow, so up to 2x while filling; a peak of
  about 14 MB while the last doubling copies). The returned id strings belong to the caller.
- 1,000,000 system-assigned keys (36-character UUID text): about 98 MB, the key text included, with a
  peak of about 136 MB while the key table doubles (:mod:`~loadpulse.pipeline.keys`; a ``dict[str, int]``
  took 157 MB). Adding a key costs about 1.5 µs more than a dict (a blake2b digest and a probe).

Pure: times come from the caller (monotonic ns: the intended start in open-model runs, else the send).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from loadpulse.pipeline.keys import KeyTable

PENDING = 0
ACCEPTED = 1
REJECTED = 2
_OUTCOME = 3
"""Mask of the outcome bits in a state byte."""
KEYED = 4
"""State bit: the slot holds a system-assigned key, not a generated id."""
UNSET = -1
"""Send time of an item whose send is not known yet (see :meth:`Tracker.sent_at`)."""

_PREFIX = re.compile(r"[A-Za-z0-9_]{1,32}")
_SEP = "-"
_HEX = frozenset("0123456789abcdef")


def check_ns(name: str, value: object) -> int:
    """``value`` as a non-negative int of nanoseconds, or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an int of nanoseconds, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative (got {value} ns)")
    return int(value)


def normalize_id(item: object) -> str:
    """An item id as text: str as is, int in decimal, bytes as UTF-8; ValueError for anything else."""
    if isinstance(item, str):
        text = item
    elif isinstance(item, bool):
        raise ValueError("an item id must be a str, int or bytes, not bool")
    elif isinstance(item, int | np.integer):
        text = str(int(item))
    elif isinstance(item, bytes | bytearray | memoryview):
        try:
            text = bytes(item).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"an item id in bytes must be UTF-8 text ({exc.reason})") from None
    else:
        raise ValueError(f"an item id must be a str, int or bytes, not {type(item).__name__}")
    if not text:
        raise ValueError("an item id must not be empty")
    return text


class Tracker:
    """Items one process sent, by slot; see the module docstring for the id format and memory."""

    __slots__ = (
        "_head",
        "_key_slots",
        "_keys",
        "_n",
        "_sent",
        "_state",
        "prefix",
        "repeated",
        "repeated_slots",
    )

    def __init__(self, prefix: str, capacity: int = 1024) -> None:
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"a tracker prefix must be 1-32 letters, digits or _ (it starts every id), not {prefix!r}"
            )
        if capacity < 1:
            raise ValueError(f"a tracker capacity must be at least 1, not {capacity}")
        self.prefix = prefix
        self._head = prefix + _SEP
        # array and bytearray, not numpy: one slot is written per tracked request on the event loop, where a
        # numpy scalar costs several times a Python int; reads of them all view them as numpy (no copy).
        self._sent = array("q", [UNSET]) * capacity
        self._state = bytearray(capacity)
        self._n = 0
        self._keys = KeyTable()
        self._key_slots = array("q")
        """Slot of each key, by the key's ordinal in ``_keys`` (increasing, as slots are taken in order)."""
        self.repeated = 0
        self.repeated_slots: list[int] = []
        """The slot of each key tracked again, in order: its request settles the slot once more (rare)."""
        """System-assigned keys tracked again: the first send time is kept, the repeat only counted."""

    def __len__(self) -> int:
        return self._n

    @property
    def keyed(self) -> int:
        """How many system-assigned keys were tracked (each once)."""
        return len(self._keys)

    def _grow(self) -> None:
        # New buffers, never resized in place: a poll thread may hold a numpy view of the old ones.
        slot = self._n
        sent = array("q", self._sent)
        sent.extend(array("q", [UNSET]) * slot)
        states = bytearray(self._state)
        states.extend(bytes(slot))
        self._sent, self._state = sent, states

    def _take(self, sent_ns: int, state: int) -> int:
        slot = self._n
        if slot == len(self._sent):
            self._grow()
        self._sent[slot] = sent_ns
        self._state[slot] = state
        self._n = slot + 1
        return slot

    def new_id(self, sent_ns: int = UNSET) -> str:
        """A fresh id, remembered as sent at ``sent_ns`` (leave it out and call :meth:`sent_at` later)."""
        return f"{self._head}{self.new_slot(sent_ns):x}"

    def new_slot(self, sent_ns: int = UNSET) -> int:
        """:meth:`new_id`'s slot; :meth:`generated_id` names it. The scenario API keeps slots, not ids,
        for the requests still on their way: marking one then costs no parsing."""
        # Called once per request a scenario tracks: the common case costs one type check and no call.
        if (type(sent_ns) is not int or sent_ns < 0) and sent_ns != UNSET:
            check_ns("sent_ns", sent_ns)
        slot = self._n
        if slot == len(self._sent):
            self._grow()
        self._sent[slot] = sent_ns  # the state byte of a fresh slot is already PENDING (0)
        self._n = slot + 1
        return slot

    def generated_id(self, slot: int) -> str:
        return f"{self._head}{slot:x}"

    def track(self, key: str | int | bytes, sent_ns: int = UNSET) -> str:
        """Track an id the system assigned, sent at ``sent_ns``; returns it as text (how sinks match it)."""
        return self.track_slot(key, sent_ns)[0]

    def track_slot(self, key: str | int | bytes, sent_ns: int = UNSET) -> tuple[str, int]:
        """:meth:`track`, and the key's slot (its first one when the key was tracked before)."""
        text = normalize_id(key)
        if sent_ns != UNSET:
            check_ns("sent_ns", sent_ns)
        ordinal, new = self._keys.add(text)
        if not new:
            self.repeated += 1
            slot = self._key_slots[ordinal]
            self.repeated_slots.append(slot)
            return text, slot
        slot = self._take(sent_ns, PENDING | KEYED)
        self._key_slots.append(slot)
        return text, slot

    def slot(self, item: str) -> int | None:
        """The slot of ``item`` (a generated id of this tracker or a tracked key), None when unknown."""
        slot = self.key_slot(item)
        if slot is not None:
            return slot
        head, sep, tail = item.rpartition(_SEP)
        if not sep or head != self.prefix:
            return None
        return self.generated_slot(tail)

    def key_slot(self, key: str) -> int | None:
        """The slot of a system-assigned key, None when it was not tracked."""
        ordinal = self._keys.get(key)
        return None if ordinal is None else self._key_slots[ordinal]

    def generated_slot(self, tail: str) -> int | None:
        """The slot named by the hex part of a generated id, None unless this tracker generated it."""
        # Only the exact form new_id writes: "0A", "00a" or "_a" would parse to a slot but were never sent.
        if not tail or (tail[0] == "0" and len(tail) > 1) or not _HEX.issuperset(tail):
            return None
        slot = int(tail, 16)
        if slot >= self._n or self._state[slot] & KEYED:  # _n first, as in sent_ns
            return None
        return slot

    def id_of(self, slot: int) -> str:
        if self._state[slot] & KEYED:
            return self._keys.key(bisect_left(self._key_slots, slot))
        return f"{self.prefix}{_SEP}{slot:x}"

    def ids_of(self, slots: npt.NDArray[np.intp]) -> Iterator[str]:
        return (self.id_of(int(s)) for s in slots)

    def _resolve(self, item: str | int | bytes) -> int:
        text = normalize_id(item)
        slot = self.slot(text)
        if slot is None:
            raise ValueError(f"{text!r} was not tracked by this tracker (prefix {self.prefix!r})")
        return slot

    def sent_at(self, item: str | int | bytes, sent_ns: int) -> None:
        """Set when ``item`` was sent, for ids made before their request was sent."""
        self._sent[self._resolve(item)] = check_ns("sent_ns", sent_ns)

    def accepted(self, item: str | int | bytes) -> None:
        """The request carrying ``item`` succeeded: it counts as sent."""
        self.settle(self._resolve(item), True)

    def rejected(self, item: str | int | bytes) -> None:
        """The request carrying ``item`` failed: counted as rejected, never as sent or lost."""
        self.settle(self._resolve(item), False)

    def settle(self, slot: int, accepted: bool) -> None:
        """How the request carrying the item in ``slot`` ended (see :meth:`accepted`, :meth:`rejected`)."""
        state = self._state
        state[slot] = (state[slot] & KEYED) | (ACCEPTED if accepted else REJECTED)

    def sent_ns_at(self, slot: int) -> int:
        """The send time of one slot (:data:`UNSET` where unknown), without making a view of them all."""
        return self._sent[slot]

    @property
    def sent_ns(self) -> npt.NDArray[np.int64]:
        """Send time per slot (a view; :data:`UNSET` where unknown)."""
        n = self._n  # first: the event loop may grow the arrays meanwhile, never shrink them
        return np.frombuffer(self._sent, dtype=np.int64)[:n]

    @property
    def states(self) -> npt.NDArray[np.uint8]:
        """The raw state byte per slot (outcome and :data:`KEYED` bit; a view)."""
        n = self._n
        return np.frombuffer(self._state, dtype=np.uint8)[:n]

    def extend(self, sent_ns: npt.NDArray[np.int64], states: npt.NDArray[np.uint8], keys: list[str]) -> None:
        """Append slots as another process's tracker took them (a coordinator mirroring a worker's):
        their send times and state bytes, and the keys of the :data:`KEYED` ones in slot order."""
        first, m = self._n, int(sent_ns.size)
        if first + m > len(self._sent):
            # New buffers (see _grow), never resized in place.
            size = max(first + m, 2 * len(self._sent))
            sent = array("q", self._sent)
            sent.extend(array("q", [UNSET]) * (size - len(sent)))
            grown = bytearray(self._state)
            grown.extend(bytes(size - len(grown)))
            self._sent, self._state = sent, grown
        chunk = array("q")
        chunk.frombytes(np.ascontiguousarray(sent_ns, dtype=np.int64).tobytes())
        self._sent[first : first + m] = chunk
        self._state[first : first + m] = states.astype(np.uint8).tobytes()
        keyed = np.flatnonzero(states & np.uint8(KEYED))
        if keyed.size != len(keys):
            raise ValueError(f"{keyed.size} keyed slots but {len(keys)} keys")
        for slot, key in zip(keyed.tolist(), keys, strict=True):
            self._keys.add(key)
            self._key_slots.append(first + slot)
        self._n = first + m  # last: a poll thread reads _n first

    def restore(
        self, slots: npt.NDArray[np.int64], sent_ns: npt.NDArray[np.int64], states: npt.NDArray[np.uint8]
    ) -> None:
        """Set the send time and state byte of slots taken before (a mirrored item that settled since)."""
        sent, state = self._sent, self._state
        for slot, ns, byte in zip(slots.tolist(), sent_ns.tolist(), states.tolist(), strict=True):
            sent[slot] = ns
            state[slot] = byte

    @property
    def outcomes(self) -> npt.NDArray[np.uint8]:
        """:data:`PENDING`, :data:`ACCEPTED` or :data:`REJECTED` per slot (a new array)."""
        n = self._n
        return np.bitwise_and(np.frombuffer(self._state, dtype=np.uint8)[:n], np.uint8(_OUTCOME))

    def count(self, outcome: int) -> int:
        return int(np.count_nonzero(self.outcomes == outcome))

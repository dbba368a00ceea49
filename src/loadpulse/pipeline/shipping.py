"""What a worker process tracked, shipped to the coordinator every interval (``--workers`` runs).

A worker's :class:`~loadpulse.pipeline.tracking.Tracker` records its items; the coordinator, which polls the
sinks and reconciles, keeps a mirror of it (a Tracker of the same prefix). Every interval the worker's
:class:`TrackShipper` cuts a :class:`TrackedDelta`: the slots taken since the last one (send time, state
byte, the keys of system-assigned ids) and the slots shipped before whose request had not ended then and
has now (their new state and send time). :func:`apply_delta` replays it on the mirror, so after the last
delta the mirror holds exactly what the worker's tracker does.

Compact: 9 bytes per new item plus its key when the system assigned it, 17 bytes per item that settled
after its slot was shipped; an item is shipped once, and once more only if it was still on its way.
Send times are the worker's clock readings: :func:`shifted` moves them onto the coordinator's when the
two clocks differ (a Ray actor on another machine). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from loadpulse.pipeline.tracking import KEYED, PENDING, UNSET, Tracker

_OUTCOME = np.uint8(3)


@dataclass(frozen=True, slots=True)
class TrackedDelta:
    prefix: str
    """The worker's tracker prefix: which mirror it is for (and every generated id's start)."""
    first: int
    """The first new slot (the mirror's length before it)."""
    sent_ns: npt.NDArray[np.int64]
    states: npt.NDArray[np.uint8]
    keys: list[str]
    """The keys of the new slots whose state byte has :data:`KEYED`, in slot order."""
    updated: npt.NDArray[np.int64]
    """Slots shipped before whose state or send time changed since."""
    updated_sent_ns: npt.NDArray[np.int64]
    updated_states: npt.NDArray[np.uint8]
    repeated: int
    """The worker's count of keys tracked again (see Tracker.repeated)."""

    @property
    def items(self) -> int:
        return int(self.sent_ns.size)


class TrackShipper:
    """The worker's side: cuts what its tracker took since the last cut (call it on the event loop that
    writes the tracker, so nothing changes under it)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._shipped = 0
        self._open = np.zeros(0, dtype=np.int64)
        """Slots shipped while their request was on its way (or their send time unknown)."""
        self._open_sent = np.zeros(0, dtype=np.int64)
        self._open_states = np.zeros(0, dtype=np.uint8)
        self._repeated = 0
        # A key tracked again settles its (first) slot once more, possibly after the slot was shipped as
        # settled: such slots are watched for the rest of the run (few: only repeated keys).
        self._watch = np.zeros(0, dtype=np.int64)
        self._watch_sent = np.zeros(0, dtype=np.int64)
        self._watch_states = np.zeros(0, dtype=np.uint8)
        self._repeats_seen = 0

    def take(self) -> TrackedDelta | None:
        """What changed since the last call; None when nothing did."""
        t = self.tracker
        n = len(t)
        sent_all, states_all = t.sent_ns, t.states
        first = self._shipped
        sent = sent_all[first:n].copy()
        states = states_all[first:n].copy()
        keyed = np.flatnonzero(states & np.uint8(KEYED))
        keys = [t.id_of(first + int(i)) for i in keyed]
        cur_sent = sent_all[self._open]
        cur_states = states_all[self._open]
        changed = (cur_sent != self._open_sent) | (cur_states != self._open_states)
        self._watch_repeats(first)
        w_sent, w_states = sent_all[self._watch], states_all[self._watch]
        w_changed = (w_sent != self._watch_sent) | (w_states != self._watch_states)
        if not sent.size and not changed.any() and not w_changed.any() and t.repeated == self._repeated:
            return None
        upd = np.concatenate([self._open[changed], self._watch[w_changed]])
        upd, at = np.unique(upd, return_index=True)  # a slot both open and watched is shipped once
        delta = TrackedDelta(
            t.prefix,
            first,
            sent,
            states,
            keys,
            upd,
            np.concatenate([cur_sent[changed], w_sent[w_changed]])[at],
            np.concatenate([cur_states[changed], w_states[w_changed]])[at],
            t.repeated,
        )
        self._watch_sent, self._watch_states = w_sent, w_states
        self._repeated = t.repeated
        # Still open: shipped earlier and not settled yet, or new and not settled yet.
        new_slots = np.arange(first, n, dtype=np.int64)
        slots = np.concatenate([self._open, new_slots])
        all_sent = np.concatenate([cur_sent, sent])
        all_states = np.concatenate([cur_states, states])
        still = ((all_states & _OUTCOME) == PENDING) | (all_sent == UNSET)
        self._open, self._open_sent, self._open_states = slots[still], all_sent[still], all_states[still]
        self._shipped = n
        return delta

    def _watch_repeats(self, first: int) -> None:
        """Start watching the slots of keys tracked again since the last cut (those already shipped: the
        new ones ship whole anyway, and are watched from this cut on)."""
        t = self.tracker
        fresh = np.asarray(t.repeated_slots[self._repeats_seen :], dtype=np.int64)
        self._repeats_seen = len(t.repeated_slots)
        fresh = np.setdiff1d(fresh, self._watch)
        if not fresh.size:
            return
        shipped = fresh < first
        # Slots already shipped are marked as never shipped (state 255), so their current state goes now.
        self._watch = np.concatenate([self._watch, fresh])
        self._watch_sent = np.concatenate([self._watch_sent, t.sent_ns[fresh]])
        states = t.states[fresh].copy()
        states[shipped] = np.uint8(255)
        self._watch_states = np.concatenate([self._watch_states, states])


def apply_delta(mirror: Tracker, delta: TrackedDelta) -> None:
    """Replay ``delta`` on the coordinator's ``mirror`` of the worker's tracker (same prefix)."""
    if delta.prefix != mirror.prefix:
        raise ValueError(f"a delta of tracker {delta.prefix!r} cannot go to the mirror of {mirror.prefix!r}")
    if delta.first != len(mirror):
        raise ValueError(f"delta starts at slot {delta.first}, the mirror holds {len(mirror)}: one was lost")
    if delta.updated.size:
        mirror.restore(delta.updated, delta.updated_sent_ns, delta.updated_states)
    if delta.sent_ns.size:
        mirror.extend(delta.sent_ns, delta.states, delta.keys)
    mirror.repeated = delta.repeated


def shifted(delta: TrackedDelta, offset_ns: int) -> TrackedDelta:
    """``delta`` with its send times moved onto another clock: ``offset_ns`` is the worker's clock minus
    the coordinator's (a Ray actor on another machine measures it when it connects). The coordinator
    reads the send times against its own clock (end-to-end latency from a sink's persist time, order of
    arrival), so a worker whose monotonic clock is not the coordinator's ships them moved. Unknown send
    times (:data:`UNSET`) stay unknown; a time would-be negative is clamped to 0 (never before boot)."""
    if not offset_ns:
        return delta

    def moved(sent: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(sent == UNSET, sent, np.maximum(sent - np.int64(offset_ns), 0)).astype(np.int64)

    return replace(delta, sent_ns=moved(delta.sent_ns), updated_sent_ns=moved(delta.updated_sent_ns))

"""Reconciling what was sent (:class:`~loadpulse.pipeline.tracking.Tracker`) with what sinks observed.

Fed incrementally: each poll hands :meth:`Reconciler.observe` only its new observations (a sink that can
only re-read everything diffs before calling). Feeding in any chunking gives the result of feeding all at
once, given observations in arrival order overall; within a batch they are ordered by arrival time (``at``
when given, else when observed), which is what out-of-order counting compares.

Memory: one byte per tracked item (seen: never, in progress, delivered) beside each tracker's own 9, plus
what the settings bound: the e2e histogram, ids kept as examples (``max_ids`` per kind), workers
(``max_workers``), items in a non-final status (``max_in_progress``), distinct unexpected ids remembered
(``max_unexpected``), and one count per interval cut. Pure: every time comes from the caller, in ns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from loadpulse.metrics.histogram import Histogram
from loadpulse.pipeline.anchor import ClockAnchor
from loadpulse.pipeline.groups import GroupCounts
from loadpulse.pipeline.result import IntervalCount, PipelineResult
from loadpulse.pipeline.sighting import FAILED_STATUSES, IN_PROGRESS_STATUSES, Observation, ReconcileSettings
from loadpulse.pipeline.timeline import Timeline
from loadpulse.pipeline.tracking import ACCEPTED, REJECTED, UNSET, Tracker, check_ns, normalize_id

UNSEEN, IN_PROGRESS, DELIVERED, FAILED = 0, 1, 2, 3
_STATE = 3
"""The seen byte: the state in its low 2 bits, a 6-bit tag of the final status above them, so a status
changed in place ("stored" -> "done", "failed" -> "completed" on a retry) is told from a second delivery."""
_CLOCK_SLACK_NS = 50_000_000
"""How far before its send a persist time may be before it is called a clock problem (NTP steps, a
timestamp taken with coarse resolution)."""
_PLAUSIBLE_E2E_NS = 3600 * 1_000_000_000

__all__ = ["FAILED_STATUSES", "IN_PROGRESS_STATUSES", "Observation", "ReconcileSettings", "Reconciler"]


class _Sent:
    """Per-tracker reconciliation state: the seen byte per slot."""

    __slots__ = ("seen", "tracker")

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.seen: npt.NDArray[np.uint8] = np.zeros(max(len(tracker), 1024), dtype=np.uint8)

    def fit(self, n: int | None = None) -> None:
        """Room for ``n`` slots (default: the tracker's count now). The tracker grows on the event loop
        while a poll reconciles in its thread: callers pass the count they read, not a later one."""
        if n is None:
            n = len(self.tracker)
        if n > self.seen.size:
            grown = np.zeros(max(n, self.seen.size * 2), dtype=np.uint8)
            grown[: self.seen.size] = self.seen
            self.seen = grown


def _bounded_add(ids: list[str], item: str, limit: int) -> None:
    if len(ids) < limit and item not in ids:
        ids.append(item)


class Reconciler:
    def __init__(
        self,
        trackers: Iterable[Tracker] = (),
        settings: ReconcileSettings | None = None,
        anchor: ClockAnchor | None = None,
    ) -> None:
        self.settings = settings or ReconcileSettings()
        self.anchor = anchor
        self._sent: dict[str, _Sent] = {}
        self._keyed_seen = 0
        for tracker in trackers:
            self.add_tracker(tracker)
        self.e2e = Histogram()
        self._e2e_from_at = 0
        self._delivered_total = 0
        self._duplicates = 0
        self._duplicate_ids: list[str] = []
        self._unexpected = 0
        self._unexpected_seen: set[int] = set()
        self._unexpected_ids: list[str] = []
        self.lost_workers = False
        """A worker of the run was lost: a sighting that matches no tracked item is presumably one it sent
        after its last shipped delta (which never came), counted in :attr:`lost_worker_sightings`, not as
        unexpected."""
        self.lost_worker_sightings = 0
        self._unmatched: list[tuple[int, bool, str, Observation]] = []
        """Sightings of ids not tracked yet, retried at every observe until the grace has passed."""
        self._newest_observed_ns = 0
        self._workers = GroupCounts(self.settings.max_workers)
        self._in_progress: dict[tuple[str, int], tuple[str, int]] = {}
        """(prefix, slot) -> (status, since ns), for at most max_in_progress items."""
        self._in_progress_dropped = False
        self._out_of_order = 0
        self._order_t: int | None = None
        self._order_max_before = -1
        self._order_max_here = -1
        self._last_arrival_ns: int | None = None
        self._load_end_ns: int | None = None
        self._failing = False
        self._intervals: list[IntervalCount] = []
        self._timeline = Timeline()
        self._cut_delivered = 0
        self.persisted_early = 0
        """Items whose persist time ('at') is before their send (beyond a clock's slack): a sink clock or
        time zone other than this machine's. Their end-to-end latency counts as 0, so it is said."""
        self.persisted_early_max_s = 0.0
        self.persisted_late = 0
        """Items persisted more than an hour after their send: 'at' in milliseconds, or a skewed clock."""
        self.persisted_late_max_s = 0.0

    def add_tracker(self, tracker: Tracker) -> None:
        """Reconcile against ``tracker`` too; a tracker with a known prefix replaces the older copy (a
        process shipping its tracker again as it grows), keeping what was seen."""
        self._keyed_seen = -1  # waiting sightings may be this tracker's: look them up again
        known = self._sent.get(tracker.prefix)
        if known is None:
            self._sent[tracker.prefix] = _Sent(tracker)
        else:
            known.tracker = tracker
            known.fit()

    def load_started(self, start_ns: int) -> None:
        """The load's start: the origin of the timeline (the run's per-interval series starts there too)."""
        self._timeline.start(check_ns("start_ns", start_ns))

    def load_ended(self, end_ns: int) -> None:
        self._load_end_ns = check_ns("end_ns", end_ns)

    @property
    def load_end_ns(self) -> int | None:
        """When the load ended (None while it runs)."""
        return self._load_end_ns

    def sink_failed(self) -> None:
        """The last poll failed: items not seen so far are unverified, not lost, until a poll succeeds."""
        self._failing = True

    def _locate(self, item: str) -> tuple[_Sent, int] | None:
        head, sep, tail = item.rpartition("-")
        if sep:
            sent = self._sent.get(head)
            if sent is not None:
                slot = sent.tracker.generated_slot(tail)
                if slot is not None:
                    return sent, slot
        for sent in self._sent.values():
            slot = sent.tracker.key_slot(item)
            if slot is not None:
                return sent, slot
        return None

    def _arrival(self, obs: Observation) -> tuple[int, bool]:
        if obs.at is None:
            return obs.observed_ns, False
        if self.anchor is None:
            raise ValueError("a persist time ('at') needs the run's clock anchor (Reconciler(anchor=...))")
        return self.anchor.to_mono_ns(obs.at), True

    def observe(
        self,
        observations: Iterable[Observation],
        on_bad: Callable[[Observation, ValueError], None] | None = None,
    ) -> None:
        """Take one poll's new observations. Checked whole first: a ValueError changes nothing, unless
        ``on_bad`` is given: then each bad observation is handed to it and left out, and the rest count."""
        batch: list[tuple[int, bool, str, Observation]] = []
        if on_bad is not None:
            for obs in observations:
                try:
                    self._checked([obs], batch)
                except ValueError as exc:
                    on_bad(obs, exc)
        else:
            self._checked(observations, batch)
        self._take(batch)

    def _checked(
        self, observations: Iterable[Observation], batch: list[tuple[int, bool, str, Observation]]
    ) -> None:
        """Append each observation to ``batch`` as (arrival ns, from ``at``, id, observation), or raise."""
        # This loop runs in the generator's process for every item a sink returns (tens of thousands a
        # second): the usual types (int ns, float or no ``at``, str id/worker/status) take the short checks.
        anchor = self.anchor
        for obs in observations:
            if type(obs) is not Observation and not isinstance(obs, Observation):
                raise ValueError(f"observe takes Observation objects, not {type(obs).__name__}")
            observed, at, status, worker, item = obs.observed_ns, obs.at, obs.status, obs.worker, obs.id
            if type(observed) is not int or observed < 0:
                check_ns("observed_ns", observed)
            if at is None:
                t, from_at = observed, False
            elif type(at) is float and anchor is not None and 0.0 <= at < 1e11:
                t, from_at = anchor.mono_ns + round((at - anchor.wall_s) * 1e9), True
            else:
                t, from_at = self._arrival(obs)
            if status is not None and type(status) is not str and not isinstance(status, str):
                raise ValueError(f"a status must be text, not {type(status).__name__}")
            if (
                worker is not None
                and type(worker) is not str
                and (isinstance(worker, bool) or not isinstance(worker, str | int))
            ):
                raise ValueError(f"a worker must be text or an int, not {type(worker).__name__}")
            batch.append((t, from_at, item if type(item) is str and item else normalize_id(item), obs))

    def _take(self, batch: list[tuple[int, bool, str, Observation]]) -> None:
        self._failing = False
        for sent in self._sent.values():
            sent.fit()
        if batch:
            self._newest_observed_ns = max(self._newest_observed_ns, max(row[3].observed_ns for row in batch))
        settings = self.settings
        expired_before = self._newest_observed_ns - settings.unmatched_grace_ns
        waiting, self._unmatched = self._unmatched, []
        # Only a key tracked since the last look can match a waiting sighting (generated ids exist before
        # their request is sent): without new keys, the wait is only checked for its end, not located
        # again (a sink not scoped to the run may show tens of thousands of foreign ids).
        keyed = sum(sent.tracker.keyed for sent in self._sent.values())
        if keyed != self._keyed_seen:
            batch = waiting + batch
        else:
            for row in waiting:
                if row[3].observed_ns > expired_before:
                    self._unmatched.append(row)
                else:
                    self._note_unexpected(row[2])
        self._keyed_seen = keyed
        batch.sort(key=lambda row: row[0])  # stable: equal times keep the sink's order
        latencies: list[int] = []
        in_progress_statuses = settings.in_progress_statuses
        failed_statuses = settings.failed_statuses
        for t, from_at, item, obs in batch:
            found = self._locate(item)
            if found is None:
                row = (t, from_at, item, obs)
                if obs.observed_ns > expired_before and len(self._unmatched) < settings.max_unmatched:
                    self._unmatched.append(row)
                else:
                    self._note_unexpected(item)
                continue
            sent, slot = found
            if slot >= sent.seen.size:  # tracked after this poll began
                sent.fit(slot + 1)
            byte = int(sent.seen[slot])
            seen = byte & _STATE
            status = obs.status
            lowered = status.lower() if status is not None else None
            if status is not None and lowered in in_progress_statuses:
                if seen == UNSEEN:
                    sent.seen[slot] = IN_PROGRESS
                    self._note_in_progress(sent.tracker.prefix, slot, status, t)
                elif seen == IN_PROGRESS:
                    self._note_in_progress(sent.tracker.prefix, slot, status, t)
                continue
            tag = 0 if lowered is None else (hash(lowered) % 63 + 1) << 2
            failed = lowered is not None and lowered in failed_statuses
            if seen >= DELIVERED:
                if byte == (FAILED if failed else DELIVERED) | tag:
                    if not failed:  # the same final sighting again: stored twice
                        self._duplicates += 1
                        _bounded_add(self._duplicate_ids, item, self.settings.max_ids)
                    continue
                if seen == DELIVERED:  # its status changed in place: the same delivery
                    if failed:
                        sent.seen[slot] = FAILED | tag
                        self._delivered_total -= 1
                    else:
                        sent.seen[slot] = DELIVERED | tag
                    continue
                if failed:  # failed again (a retry's count): still failed
                    sent.seen[slot] = FAILED | tag
                    continue
                # failed before, now done: a retry delivered it (from here on as any delivery)
            if failed:
                sent.seen[slot] = FAILED | tag
                if self._in_progress:
                    self._in_progress.pop((sent.tracker.prefix, slot), None)
                continue
            sent.seen[slot] = DELIVERED | tag
            if self._in_progress:
                self._in_progress.pop((sent.tracker.prefix, slot), None)
            self._delivered_total += 1
            sent_ns = sent.tracker.sent_ns_at(slot)
            if sent_ns != UNSET:
                e2e_ns = t - sent_ns
                if from_at and not 0 <= e2e_ns <= _PLAUSIBLE_E2E_NS:
                    self._note_implausible(e2e_ns)
                latencies.append(max(0, e2e_ns) // 1000)
                self._e2e_from_at += from_at
                self._note_order(t, sent_ns)
            if obs.worker is not None:
                self._workers.add(str(obs.worker))
            if self._last_arrival_ns is None or t > self._last_arrival_ns:
                self._last_arrival_ns = t
        if latencies:
            self.e2e.record_many(np.asarray(latencies, dtype=np.int64))

    def _note_implausible(self, e2e_ns: int) -> None:
        if e2e_ns < -_CLOCK_SLACK_NS:
            self.persisted_early += 1
            self.persisted_early_max_s = max(self.persisted_early_max_s, -e2e_ns / 1e9)
        elif e2e_ns > _PLAUSIBLE_E2E_NS:
            self.persisted_late += 1
            self.persisted_late_max_s = max(self.persisted_late_max_s, e2e_ns / 1e9)

    def _note_unexpected(self, item: str) -> None:
        digest = hash(item)  # 64 bits: 100,000 distinct ids share one with odds of about 1 in 3 billion
        if digest in self._unexpected_seen:
            return
        if len(self._unexpected_seen) < self.settings.max_unexpected:
            self._unexpected_seen.add(digest)
        if self.lost_workers:
            self.lost_worker_sightings += 1
            return
        self._unexpected += 1
        _bounded_add(self._unexpected_ids, item, self.settings.max_ids)

    def _note_in_progress(self, prefix: str, slot: int, status: str, t: int) -> None:
        key = (prefix, slot)
        known = self._in_progress.get(key)
        if known is not None and known[0] == status:
            return  # unchanged: still stuck since the first sighting of this status
        if known is None and len(self._in_progress) >= self.settings.max_in_progress:
            self._in_progress_dropped = True
            return
        self._in_progress[key] = (status, t)

    def _note_order(self, t: int, sent_ns: int) -> None:
        """An item arriving after one sent later had already arrived is out of order (ties in arrival
        time are not an order)."""
        if t != self._order_t:
            self._order_max_before = max(self._order_max_before, self._order_max_here)
            self._order_max_here = -1
            self._order_t = t
        if sent_ns < self._order_max_before:
            self._out_of_order += 1
        self._order_max_here = max(self._order_max_here, sent_ns)

    def _counted(self, sent: _Sent) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
        outcomes = sent.tracker.outcomes
        sent.fit(outcomes.size)
        counted = outcomes == ACCEPTED
        if self.settings.count_rejected:
            counted |= outcomes == REJECTED
        return counted, sent.seen[: outcomes.size]

    def sent_total(self) -> int:
        return sum(int(np.count_nonzero(self._counted(s)[0])) for s in self._sent.values())

    def cut(self, now_ns: int) -> IntervalCount:
        """Close an interval at ``now_ns``: its deliveries and the backlog, kept for the run's timeline."""
        point = IntervalCount(
            check_ns("now_ns", now_ns),
            self._delivered_total - self._cut_delivered,
            self.sent_total(),
            self._delivered_total,
        )
        self._cut_delivered = self._delivered_total
        self._intervals.append(point)
        self._timeline.add(point)
        return point

    def unmatched_of_lost_workers(self) -> int:
        """Distinct sightings matching no tracked item since a worker was lost (see :attr:`lost_workers`)."""
        waiting = len(dict.fromkeys(item for _, _, item, _ in self._unmatched)) if self.lost_workers else 0
        return self.lost_worker_sightings + waiting

    def result(self, now_ns: int) -> PipelineResult:
        check_ns("now_ns", now_ns)
        sent = delivered = in_progress = undelivered = rejected = failed = 0
        lost_ids: list[str] = []
        failed_ids: list[str] = []
        limit = self.settings.max_ids
        for state in self._sent.values():
            counted, seen = self._counted(state)
            seen = seen & np.uint8(_STATE)
            sent += int(np.count_nonzero(counted))
            gave_up = np.flatnonzero(counted & (seen == FAILED))
            failed += int(gave_up.size)
            if len(failed_ids) < limit and gave_up.size:
                failed_ids.extend(state.tracker.ids_of(gave_up[: limit - len(failed_ids)]))
            delivered += int(np.count_nonzero(counted & (seen == DELIVERED)))
            in_progress += int(np.count_nonzero(counted & (seen == IN_PROGRESS)))
            missing = np.flatnonzero(counted & (seen == UNSEEN))
            undelivered += int(missing.size)
            rejected += state.tracker.count(REJECTED)
            if len(lost_ids) < limit and missing.size:
                lost_ids.extend(state.tracker.ids_of(missing[: limit - len(lost_ids)]))
        stuck_ids: list[str] = []
        stuck = 0
        for (prefix, slot), (_status, since) in self._in_progress.items():
            if now_ns - since > self.settings.stuck_after_ns:
                stuck += 1
                if len(stuck_ids) < limit:
                    stuck_ids.append(self._sent[prefix].tracker.id_of(slot))
        lost, unverified = (0, undelivered) if self._failing else (undelivered, 0)
        # Sightings still waiting for their id to be tracked count as unexpected for now (distinct ids).
        unmatched = dict.fromkeys(item for _, _, item, _ in self._unmatched)  # first sighting first
        if self.lost_workers:  # presumably the lost worker's (see lost_workers)
            unmatched = {}
        unexpected_ids = list(self._unexpected_ids)
        for item in unmatched:
            _bounded_add(unexpected_ids, item, limit)
        drained = undelivered == 0 and in_progress == 0
        drain_s: float | None = None
        if self._load_end_ns is not None:
            end = max(self._last_arrival_ns or 0, self._load_end_ns) if drained else now_ns
            drain_s = max(0, end - self._load_end_ns) / 1e9
        return PipelineResult(
            sent=sent,
            delivered=delivered,
            lost=lost,
            rejected=rejected,
            failed=failed,
            failed_ids=tuple(failed_ids),
            in_progress=in_progress,
            unverified=unverified,
            duplicates=self._duplicates,
            unexpected=self._unexpected + len(unmatched),
            out_of_order=self._out_of_order,
            stuck=stuck,
            e2e=self.e2e.copy(),
            e2e_from_at=self._e2e_from_at,
            drain_s=drain_s,
            drained=drained,
            by_worker=dict(self._workers.counts),
            fairness_pct=self._workers.imbalance_pct(self.settings.workers),
            lost_ids=tuple(lost_ids if not self._failing else ()),
            duplicate_ids=tuple(self._duplicate_ids),
            unexpected_ids=tuple(unexpected_ids),
            stuck_ids=tuple(stuck_ids),
            intervals=tuple(self._intervals),
            timeline=self._timeline.columns(),
            load_end_s=self._timeline.seconds(self._load_end_ns),
            workers_expected=self.settings.workers,
        )

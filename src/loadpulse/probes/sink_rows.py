"""What a sink reports: one :class:`SinkRow` per sighting of an item, normalized from whatever the sink holds
(a bare id, a mapping, a JSON object in bytes), and :class:`ReadDiff`, which turns a full re-read into only
the rows not reported before."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import numpy as np

At = float | str | datetime
FIELDS = ("id", "at", "worker", "status")


@dataclass(frozen=True, slots=True)
class SinkRow:
    """One sighting of an item. ``at``: when it was persisted (epoch seconds, ISO text or a datetime as the
    sink gave it; None when the sink does not say). Two identical rows are two sightings (a duplicate)."""

    id: str
    at: At | None = None
    worker: str | None = None
    status: str | None = None


class BadRow(ValueError):
    """A sink entry that is not an item: no id, an id that is not text or a number, JSON that is not valid."""


def item_id(value: object) -> str:
    """An id as text: str as is, int in decimal, bytes as UTF-8."""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRow("an id in bytes is not UTF-8 text") from None
    if isinstance(value, UUID):  # a PostgreSQL uuid column
        value = str(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRow(f"an id must be text or an integer, not {type(value).__name__}")
    text = str(value)
    if not text:
        raise BadRow("an id is empty")
    return text


def persist_time(value: object) -> At | None:
    """``at`` as epoch seconds (numbers, numeric text and bytes), ISO text or a datetime; None if absent.
    Decimal (PostgreSQL's ``extract(epoch ...)``) becomes float; the pipeline core parses ISO text."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRow("'at' must be epoch seconds, ISO 8601 text or a timestamp, not a boolean")
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value.strip()
    if isinstance(value, datetime):
        return value
    raise BadRow(f"'at' must be epoch seconds, ISO 8601 text or a timestamp, not {type(value).__name__}")


def _label(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def row_from_mapping(fields: Mapping[str, Any], default_at: At | None = None) -> SinkRow:
    # Every row a sink returns passes here, in the generator's process: the usual shapes (a str id, a
    # float or no 'at', str or no worker/status) skip the general checks below.
    item, at, worker, status = fields.get("id"), fields.get("at"), fields.get("worker"), fields.get("status")
    if (
        type(item) is str
        and item
        and (type(at) is float or at is None)
        and (worker is None or type(worker) is str)
        and (status is None or type(status) is str)
    ):
        return SinkRow(item, default_at if at is None else at, worker, status)
    if item is None:
        raise BadRow(f"an entry has no 'id' (its fields: {', '.join(map(str, fields)) or 'none'})")
    at = persist_time(fields.get("at"))
    return SinkRow(
        item_id(fields["id"]),
        default_at if at is None else at,
        _label(fields.get("worker")),
        _label(fields.get("status")),
    )


def row_from(value: object, default_at: At | None = None) -> SinkRow:
    """A row from a bare id, a mapping with an ``id``, or text/bytes holding a JSON object."""
    if type(value) is dict:
        return row_from_mapping(value, default_at)
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        if value.lstrip().startswith(b"{"):
            value = _json_object(value)
    elif isinstance(value, str) and value.lstrip().startswith("{"):
        value = _json_object(value)
    if isinstance(value, Mapping):
        return row_from_mapping(value, default_at)
    return SinkRow(item_id(value), default_at)


def _json_object(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadRow(f"an entry starting with '{{' is not valid JSON ({exc})") from None


class ReadDiff:
    """The rows of a read that earlier reads did not already report, counted as a multiset per id: a second
    identical row of the same id is a duplicate delivery and is reported; the same row read again is not.

    Memory: per distinct id, a 64-bit hash of the id (not the id: a run's million ids as text would cost
    ~60 MB more) and a hash of its row in the last read that held it. Ids read since the last compaction
    (and ids with several rows) are in a dict, ~100 bytes each; past :data:`COMPACT_AT` of them the
    single-row ones move into two sorted numpy arrays, 16 bytes each (a function sink re-read a million
    times would otherwise cost ~100 MB). Two ids sharing a hash (odds about 1 in 3 billion among 100,000
    ids) would make the second look already read. With ``forget_absent`` (an incremental read: ``since``
    only moves forward, so an id missing from a read never comes back) only the ids of the last read are
    kept.
    """

    def __init__(self, forget_absent: bool = False) -> None:
        self.forget_absent = forget_absent
        self._seen: dict[int, int | tuple[int, ...]] = {}
        self._ids = np.empty(0, dtype=np.int64)
        """Compacted single-row ids' hashes, sorted; ``_keys`` their rows' hashes, in the same order."""
        self._keys = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._seen) + int(self._ids.size)

    def _compacted(self, digests: list[int]) -> list[int | None]:
        """The row hash the arrays hold for each digest, None where they hold none (one vectorized look)."""
        if not self._ids.size or not digests:
            return [None] * len(digests)
        wanted = np.asarray(digests, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._ids, wanted), self._ids.size - 1)
        found = self._ids[pos] == wanted
        keys = self._keys[pos]
        return [int(k) if f else None for k, f in zip(keys.tolist(), found.tolist(), strict=True)]

    def new_rows(self, rows: Iterable[SinkRow]) -> list[SinkRow]:
        # One row per id is the rule (a list only for an id read several times): a read of half a million
        # rows must not make half a million lists.
        by_id: dict[str, SinkRow | list[SinkRow]] = {}
        for row in rows:
            known = by_id.get(row.id)
            if known is None:
                by_id[row.id] = row
            elif isinstance(known, list):
                known.append(row)
            else:
                by_id[row.id] = [known, row]
        fresh: list[SinkRow] = []
        seen: dict[int, int | tuple[int, ...]] = {} if self.forget_absent else self._seen
        digests = [hash(item) for item in by_id]
        recent = self._seen
        compacted: dict[int, int | None] = {}
        if self._ids.size:
            unknown = [d for d in digests if d not in recent]
            compacted = dict(zip(unknown, self._compacted(unknown), strict=True))
        for entry, digest in zip(by_id.values(), digests, strict=True):
            before = recent.get(digest, compacted.get(digest))
            if not isinstance(entry, list):
                key = hash((entry.at, entry.worker, entry.status))
                known_keys = (before,) if isinstance(before, int) else before or ()
                if key not in known_keys:
                    fresh.append(entry)
                seen[digest] = key
                continue
            group = entry
            keys = [hash((r.at, r.worker, r.status)) for r in group]
            if before is None:
                fresh += group
            else:
                left = Counter((before,) if isinstance(before, int) else before)
                for row, key in zip(group, keys, strict=True):
                    if left[key] > 0:
                        left[key] -= 1
                    else:
                        fresh.append(row)
            seen[digest] = keys[0] if len(keys) == 1 else tuple(keys)
        self._seen = seen
        if not self.forget_absent and len(seen) > COMPACT_AT:
            self._compact()
        return fresh

    def _compact(self) -> None:
        """Move the dict's single-row ids into the sorted arrays (a newer row hash replaces an older)."""
        singles = {d: k for d, k in self._seen.items() if isinstance(k, int)}
        self._seen = {d: k for d, k in self._seen.items() if not isinstance(k, int)}
        ids = np.concatenate([self._ids, np.fromiter(singles.keys(), np.int64, len(singles))])
        keys = np.concatenate([self._keys, np.fromiter(singles.values(), np.int64, len(singles))])
        order = np.argsort(ids, kind="stable")
        ids, keys = ids[order], keys[order]
        # Of equal ids the last in stable order is the newest (the dict's, appended after the arrays).
        last = np.ones(ids.size, dtype=bool)
        last[:-1] = ids[1:] != ids[:-1]
        self._ids, self._keys = ids[last], keys[last]
        # An id with several rows now lives in the dict only: its older single-row entry must not answer.
        if self._seen:
            multi = np.fromiter(self._seen.keys(), np.int64, len(self._seen))
            keep = ~np.isin(self._ids, multi)
            self._ids, self._keys = self._ids[keep], self._keys[keep]


COMPACT_AT = 50_000
"""Ids kept in :class:`ReadDiff`'s dict before its single-row ones move into its arrays."""

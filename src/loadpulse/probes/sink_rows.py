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
    ~60 MB more) and a hash of its rows in the last read that held it (a tuple for an id with several
    rows), ~100 bytes in all. Two ids sharing a hash (odds about 1 in 3 billion among 100,000 ids) would
    make the second look already read. With ``forget_absent`` (an incremental read: ``since`` only moves
    forward, so an id missing from a read never comes back) only the ids of the last read are kept.
    """

    def __init__(self, forget_absent: bool = False) -> None:
        self.forget_absent = forget_absent
        self._seen: dict[int, int | tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def new_rows(self, rows: Iterable[SinkRow]) -> list[SinkRow]:
        by_id: dict[str, list[SinkRow]] = {}
        for row in rows:
            by_id.setdefault(row.id, []).append(row)
        fresh: list[SinkRow] = []
        seen: dict[int, int | tuple[int, ...]] = {} if self.forget_absent else self._seen
        for item, group in by_id.items():
            keys = [hash((r.at, r.worker, r.status)) for r in group]
            digest = hash(item)
            before = self._seen.get(digest)
            if before is None:
                fresh += group
            elif len(group) == 1 and isinstance(before, int):
                if keys[0] != before:
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
        return fresh

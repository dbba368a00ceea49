"""A Redis key as a sink: a list (read on from the last index), a set (scanned, new members reported), a
sorted set (read on from the last score; the score is ``at``) or a stream (read on from the last entry id;
fields id, at, worker, status; ``at`` defaults to the entry id's time). Members are ids or JSON objects."""

from __future__ import annotations

from typing import Any

from loadpulse.errors import BadInput
from loadpulse.probes.sink_base import TIMEOUT_S, Sink, SinkError
from loadpulse.probes.sink_rows import BadRow, ReadDiff, SinkRow, row_from, row_from_mapping
from loadpulse.probes.sink_spec import SinkSpec
from loadpulse.probes.sources import short

TYPES = ("list", "set", "zset", "stream")
PAGE = 10_000
"""Entries per Redis command: one poll reads every new entry, page by page, without one huge reply."""


class RedisSink(Sink):
    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        try:
            import redis
        except ImportError:
            raise BadInput(
                f"{self.label}: the redis sink needs the redis package: pip install 'loadpulse[redis]'"
            ) from None
        self.client = redis.Redis.from_url(
            spec.target, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )
        self.key = spec.selector
        self.type: str | None = None
        """The key's type once it exists; it must keep it."""
        self._index = 0
        self._score: float | str = "-inf"
        self._stream_after = "0-0"
        self._set_diff = ReadDiff()
        self._zset_diff = ReadDiff(forget_absent=True)

    def _wrong_type(self, kind: str) -> str:
        return (
            f"key {self.key!r} is a {kind}; a sink key must be a list, set, sorted set or stream "
            "of ids or JSON objects"
        )

    def _key_type(self) -> str:
        value = self.client.type(self.key)
        return value.decode() if isinstance(value, bytes) else str(value)

    def check(self) -> None:
        import redis

        try:
            kind = self._key_type()
        except redis.RedisError as exc:
            raise self._unanswered(SinkError(short(exc))) from None
        if kind != "none" and kind not in TYPES:
            raise BadInput(f"{self.label}: {self._wrong_type(kind)}")

    def poll(self) -> list[SinkRow]:
        import redis

        try:
            kind = self._key_type()
            if kind == "none":  # not created yet is fine; gone after it existed is not
                if self.type is not None:
                    raise SinkError(f"key {self.key!r} is gone (deleted or expired)")
                return []
            if kind not in TYPES:
                raise SinkError(self._wrong_type(kind))
            if self.type is not None and kind != self.type:
                raise SinkError(f"key {self.key!r} was a {self.type} and is now a {kind}")
            self.type = kind
            if kind == "list":
                return self._poll_list()
            if kind == "set":
                return self._set_diff.new_rows(self._rows(self.client.sscan_iter(self.key, count=PAGE)))
            if kind == "zset":
                return self._poll_zset()
            return self._poll_stream()
        except redis.RedisError as exc:
            raise SinkError(f"{short(exc)}") from None

    def _poll_list(self) -> list[SinkRow]:
        length = int(self.client.llen(self.key))
        if length < self._index:
            was, self._index = self._index, length
            raise SinkError(
                f"list {self.key!r} shrank from {was} to {length} entries: entries taken off it were not all "
                "read (a sink list must only grow, by RPUSH)"
            )
        rows: list[SinkRow] = []
        while self._index < length:
            page: Any = self.client.lrange(self.key, self._index, min(self._index + PAGE, length) - 1)
            if not page:
                break
            rows += self._rows(page)
            self._index += len(page)
        return rows

    def _poll_zset(self) -> list[SinkRow]:
        """From the last score on, inclusive: a member added later with that same score is still read; the
        ones read before are de-duplicated."""
        rows: list[SinkRow] = []
        top = self._score
        offset = 0
        while True:
            page: Any = self.client.zrangebyscore(
                self.key, self._score, "+inf", start=offset, num=PAGE, withscores=True
            )
            for member, score in page:
                try:
                    rows.append(row_from(member, float(score)))
                except BadRow as exc:
                    self._skip(exc)
                top = float(score)
            offset += len(page)
            if len(page) < PAGE:
                break
        self._score = top
        return self._zset_diff.new_rows(rows)

    def _poll_stream(self) -> list[SinkRow]:
        rows: list[SinkRow] = []
        while True:
            start = _next_entry_id(self._stream_after)
            page: Any = self.client.xrange(self.key, min=start, max="+", count=PAGE)
            for entry_id, fields in page:
                entry = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                self._stream_after = entry
                try:
                    rows.append(_stream_row(fields, int(entry.partition("-")[0]) / 1000))
                except BadRow as exc:
                    self._skip(exc)
            if len(page) < PAGE:
                return rows

    def close(self) -> None:
        self.client.close()


def _next_entry_id(entry: str) -> str:
    """The smallest stream entry id after ``entry`` (XRANGE's start is inclusive)."""
    ms, _, seq = entry.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _stream_row(fields: dict[Any, Any], added_s: float) -> SinkRow:
    """An entry with an ``id`` field (and at, worker, status), or one field holding an id or a JSON object;
    ``at`` defaults to when the entry was added (its id's milliseconds)."""
    named = {(k.decode() if isinstance(k, bytes) else str(k)): v for k, v in fields.items()}
    if "id" in named:
        return row_from_mapping(named, added_s)
    if len(named) == 1:
        return row_from(next(iter(named.values())), added_s)
    raise BadRow(f"a stream entry has no 'id' field (its fields: {', '.join(named) or 'none'})")

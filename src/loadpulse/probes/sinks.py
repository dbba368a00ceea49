"""Sinks: reading where tracked items arrived. Blocking I/O, like probe sources: the caller polls them in a
worker thread so the load's event loop never waits on a slow database.

Life cycle: :func:`open_sink` builds one without I/O (a malformed spec or query is BadInput already);
:meth:`Sink.check` before the load makes sure it answers (BadInput, one line, when it cannot);
:meth:`Sink.poll` every interval returns the rows not returned before, or raises :class:`SinkError` with
a one-line reason (the caller warns and leaves a gap: the sink is polled again next interval);
:meth:`Sink.close` at the end.
Rows that are not items (no id, bad JSON) are skipped and counted in ``skipped``, the first reason kept.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.jsonpath import lookup, parse_json_path
from loadpulse.probes.sink_base import TIMEOUT_S, Sink, SinkError
from loadpulse.probes.sink_rows import BadRow, ReadDiff, SinkRow, row_from_mapping
from loadpulse.probes.sink_spec import SinkSpec
from loadpulse.probes.sources import short
from loadpulse.redaction import redact_url

MAX_HTTP_BYTES = 256 * 2**20
LOOKBACK_S = 2.0
"""How far behind the newest ``at`` an incremental SQL sink reads again (see :meth:`SqlSink._bound`)."""
"""An http sink's response is cut off (a failed poll) beyond this: memory is bounded by settings."""


class SqlSink(Sink):
    """Rows of a query with a column ``id`` (and ``at``, ``worker``, ``status`` when it has them). A
    ``:since`` parameter receives the largest ``at`` read so far (0, or the epoch as a timestamp, at
    first): write ``at >= :since`` so rows committed late with the same ``at`` are still read (they are
    de-duplicated); without it every poll re-reads the whole result and reports the difference."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        from sqlalchemy import create_engine, text

        self.where = redact_url(spec.target)
        self.query = text(spec.selector.rstrip().rstrip(";"))
        params = set(self.query.compile().params)
        extra = sorted(params - {"since"})
        if extra:
            raise BadInput(
                f"{self.label}: the query has parameter(s) {', '.join(':' + p for p in extra)} that "
                "loadpulse cannot fill; only :since (the largest 'at' read so far) is given"
            )
        self.incremental = "since" in params
        self._since: Any = 0
        self._moved = False
        self._diff = ReadDiff(forget_absent=self.incremental)
        url = spec.target.replace("postgresql://", "postgresql+psycopg://", 1)
        connect_args = {"connect_timeout": int(TIMEOUT_S)} if url.startswith("postgresql") else {}
        try:
            self.engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        except ModuleNotFoundError:
            raise BadInput(
                f"{self.label}: a PostgreSQL sink needs psycopg: pip install 'loadpulse[postgres]'"
            ) from None
        except Exception as exc:
            raise BadInput(f"{self.label}: {short(exc)}") from None
        self._checked = False

    def _execute(self, since: Any) -> tuple[list[str], list[Any]]:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.engine.connect() as conn:
                result = conn.execute(self.query, {"since": since} if self.incremental else {})
                names = list(result.keys())
                return [k.lower() for k in names], list(result.fetchall())
        except SQLAlchemyError as exc:
            detail = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
            raise SinkError(f"{self.where}: {short(detail)}") from None

    def check(self) -> None:
        self._checked = True
        try:
            columns, _ = self._execute(self._since)
        except SinkError as first:
            if not self.incremental:
                raise self._unanswered(first) from None
            # a timestamp column does not compare with 0 in PostgreSQL: the epoch as a timestamp does
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            try:
                columns, _ = self._execute(epoch)
            except SinkError:
                raise self._unanswered(first) from None
            self._since = epoch
        if "id" not in columns:
            raise BadInput(
                f"{self.label}: the query returns no 'id' column (it returns "
                f"{', '.join(columns) or 'none'}); name the item's id column, "
                "like SELECT job_id AS id, finished_at AS at FROM jobs"
            )
        if self.incremental and "at" not in columns:
            raise BadInput(
                f"{self.label}: a query with :since needs an 'at' column (when the row was stored) to move "
                "it forward, like SELECT id, done_at AS at FROM jobs WHERE done_at >= :since"
            )

    def poll(self) -> list[SinkRow]:
        if not self._checked:  # check() picks the first :since (0, or the epoch as a timestamp)
            try:
                self.check()
            except BadInput as exc:
                raise SinkError(short(exc)) from None
        columns, records = self._execute(self._bound() if self._moved else self._since)
        if "id" not in columns:
            raise SinkError(f"{self.where}: the query returns no 'id' column any more")
        at_index = columns.index("at") if "at" in columns else None
        rows: list[SinkRow] = []
        for record in records:
            try:
                rows.append(row_from_mapping(dict(zip(columns, record, strict=True))))
            except BadRow as exc:
                self._skip(exc)
        if self.incremental and at_index is not None:
            self._advance([r[at_index] for r in records if r[at_index] is not None])
        return self._diff.new_rows(rows)

    def _advance(self, stored: list[Any]) -> None:
        """``since`` becomes the largest ``at`` as the database gave it (not as a float: a rounded bound
        could skip a row at the boundary)."""
        if not stored:
            return
        try:
            latest = max(stored)
            if self._moved and not latest > self._since:
                return
        except TypeError:  # mixed types in one column: keep the old bound (rows are re-read, not lost)
            return
        self._since, self._moved = latest, True

    def _bound(self) -> Any:
        """What ``:since`` is given: the largest ``at`` read, but never past now, less :data:`LOOKBACK_S`.
        Writers stamp ``at`` before they commit, so a row may become visible after a later-stamped one was
        read; and one ``at`` in the future (a skewed clock) would hide every row stored until then. Rows
        read again inside the window are de-duplicated. Text timestamps are passed as read."""
        since = self._since
        if isinstance(since, int | float) and not isinstance(since, bool):
            return min(since, time.time()) - LOOKBACK_S
        if isinstance(since, datetime):
            now = datetime.now(UTC) if since.tzinfo else datetime.now(UTC).replace(tzinfo=None)
            return min(since, now) - timedelta(seconds=LOOKBACK_S)
        if isinstance(since, str):
            # ISO text (SQLite's CURRENT_TIMESTAMP): the bound is written back in the column's own style,
            # so the database's text comparison orders it right (a naive time is taken as UTC).
            try:
                parsed = datetime.fromisoformat(since.strip())
            except ValueError:
                return since
            now = datetime.now(UTC) if parsed.tzinfo else datetime.now(UTC).replace(tzinfo=None)
            bound = min(parsed, now) - timedelta(seconds=LOOKBACK_S)
            sep = "T" if "T" in since else " "
            return bound.isoformat(sep=sep, timespec="microseconds" if "." in since else "seconds")
        return since

    def close(self) -> None:
        self.engine.dispose()


class HttpSink(Sink):
    """A JSON document listing ids or objects at a path, re-read every poll; new rows are reported."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.where = redact_url(spec.target)
        self.path = parse_json_path(spec.selector)
        self._diff = ReadDiff()

    def _read(self) -> list[Any]:
        request = urllib.request.Request(self.spec.target, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
                body = resp.read(MAX_HTTP_BYTES + 1)
        except (OSError, ValueError) as exc:
            raise SinkError(f"{self.where}: {short(exc)}") from None
        if len(body) > MAX_HTTP_BYTES:
            raise SinkError(f"{self.where}: the response is over {MAX_HTTP_BYTES // 2**20} MiB")
        try:
            items = lookup(json.loads(body), self.path)
        except ValueError as exc:
            raise SinkError(f"{self.where}: the response is not JSON ({short(exc)})") from None
        except KeyError as exc:
            raise SinkError(f"{self.spec.selector}: {short(exc.args[0])}") from None
        if not isinstance(items, list):
            raise SinkError(
                f"{self.spec.selector} is {type(items).__name__} in the response, not a list of ids or items"
            )
        return items

    def check(self) -> None:
        try:
            self._read()
        except SinkError as exc:
            raise self._unanswered(exc) from None

    def poll(self) -> list[SinkRow]:
        return self._diff.new_rows(self._rows(self._read()))


class CallableSink(Sink):
    """A scenario function returning every item it sees (ids or mappings); new rows are reported."""

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        assert spec.fn is not None
        self.fn = spec.fn
        self._diff = ReadDiff()

    def _read(self) -> list[Any]:
        try:
            values = self.fn()
            if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
                raise SinkError(
                    f"it returned {type(values).__name__}; return an iterable of ids or mappings with an 'id'"
                )
            return list(values)
        except SinkError:
            raise
        except Exception as exc:
            raise SinkError(f"{type(exc).__name__}: {short(exc)}") from None

    def check(self) -> None:
        try:
            self._read()
        except SinkError as exc:
            raise BadInput(f"{self.label} fails: {exc}") from None

    def poll(self) -> list[SinkRow]:
        return self._diff.new_rows(self._rows(self._read()))


def open_sink(spec: SinkSpec) -> Sink:
    """The sink for ``spec``, not connected yet (call :meth:`Sink.check`); BadInput for a spec that cannot
    work (a query parameter loadpulse cannot fill, a missing driver or package)."""
    if spec.kind == "sql":
        return SqlSink(spec)
    if spec.kind == "http":
        return HttpSink(spec)
    if spec.kind == "callable":
        return CallableSink(spec)
    if spec.kind == "redis":
        from loadpulse.probes.redis_sink import RedisSink

        return RedisSink(spec)
    if spec.kind == "webhook":
        from loadpulse.probes.webhook_sink import WebhookSink

        return WebhookSink(spec)
    raise BadInput(f"{spec.label}: unknown sink kind {spec.kind!r}")


__all__ = ["Sink", "SinkError", "SinkRow", "open_sink"]

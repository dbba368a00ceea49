"""A test-data file (CSV with a header, or JSON Lines) read one row at a time, never whole.

Opening a file scans it once, streaming: every row is parsed (so a ragged CSV row or a bad JSON line is bad
input before the load, naming its line) and the byte offset of every ``STRIDE``-th row is kept. That sparse
index is all that stays in memory (8 bytes per ``STRIDE`` rows: about 8 KB for a million rows), and it lets
a reader start at any row by seeking to the checkpoint before it and skipping at most ``STRIDE - 1`` lines.

One row is one physical line: a CSV field that spans lines (a newline inside quotes) is refused, so a row's
line number is its line in the file and a reader never has to parse from the top. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import json
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from loadpulse.errors import BadInput

STRIDE = 1024
"""Rows between two kept offsets: the index costs 8 bytes per STRIDE rows, a seek skips < STRIDE lines."""
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True, slots=True)
class FileIndex:
    path: Path
    format: str
    """'csv' or 'jsonl'."""
    columns: tuple[str, ...]
    """The CSV header (empty for JSON Lines)."""
    rows: int
    offsets: array[int]
    """Byte offset of rows 0, STRIDE, 2*STRIDE, ..."""


def _decode(raw: bytes, lineno: int, label: str) -> str:
    try:
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{label} line {lineno}: not UTF-8 ({exc.reason} at byte {exc.start})") from None


class _Lines:
    """The non-blank lines of a file as text without their line ends, remembering where the last one
    came from (its line number and byte offset) and where the record being read began."""

    def __init__(self, f: IO[bytes], label: str) -> None:
        self._f = f
        self._label = label
        self.lineno = 0
        self.start = 0
        self.count = 0
        """Non-blank lines handed out."""
        self.first = 0
        """Line number of the line before the last one handed out (where a record spanning lines began)."""

    def __iter__(self) -> Iterator[str]:
        offset = 0
        label = self._label
        for lineno, raw in enumerate(self._f, 1):
            start, offset = offset, offset + len(raw)
            text = _decode(raw, lineno, label)
            if text.strip():
                self.first, self.lineno, self.start = self.lineno, lineno, start
                self.count += 1
                yield text


def scan(path: Path, label: str) -> FileIndex:
    """Check every row of ``path`` and index it (streaming, constant memory). ``label`` names the file in
    messages ('users.csv')."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(
            f"{label}: unknown data format {path.suffix or '(no extension)'!r}; use .csv or .jsonl"
        )
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise BadInput(f"{label}: data file not found") from None
    except OSError as exc:
        raise BadInput(f"{label}: cannot read data file: {exc.strerror}") from None
    with f:
        lines = _Lines(f, label)
        columns: tuple[str, ...] = ()
        offsets: array[int] = array("q")
        rows = 0
        if fmt == "csv":
            reader = csv.reader(lines, strict=True)
            try:
                for fields in reader:
                    if lines.count != rows + 1 + bool(columns):
                        raise BadInput(
                            f"{label} line {lines.first}: a quoted field runs past the end of its line "
                            "(fields spanning lines are not supported)"
                        )
                    if not columns:
                        columns = _header(fields, lines.lineno, label)
                        continue
                    if len(fields) != len(columns):
                        raise BadInput(
                            f"{label} line {lines.lineno}: {len(fields)} field(s) where the header has "
                            f"{len(columns)}"
                        )
                    if rows % STRIDE == 0:
                        offsets.append(lines.start)
                    rows += 1
            except csv.Error as exc:
                raise BadInput(
                    f"{label} line {lines.lineno}: {exc} (a quoted field must end on its own line: "
                    "fields spanning lines are not supported)"
                ) from None
        else:
            for text in lines:
                _json_row(text, lines.lineno, label)
                if rows % STRIDE == 0:
                    offsets.append(lines.start)
                rows += 1
    if not rows:
        what = "a header and no rows" if columns else "no rows"
        raise BadInput(f"{label}: the data file has {what}")
    return FileIndex(path, fmt, columns, rows, offsets)


def _header(fields: list[str], lineno: int, label: str) -> tuple[str, ...]:
    names = tuple(f.strip() for f in fields)
    if not all(names):
        raise BadInput(
            f"{label} line {lineno}: the header has an empty column name (CSV files need a header)"
        )
    if all(_is_number(n) for n in names):
        raise BadInput(
            f"{label} line {lineno}: looks like data, not a header (every field is a number); "
            "a CSV data file starts with a header line naming its columns"
        )
    dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if dup is not None:
        raise BadInput(f"{label} line {lineno}: the header names column {dup!r} twice")
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _json_row(text: str, lineno: int, label: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{label} line {lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from None


class RowReader:
    """Reads rows [first, end) of an indexed file in order, from its own file handle.

    The handle is opened on first use and reopened in a forked child, so a parent and its children never
    share one file position.
    """

    __slots__ = ("_f", "_index", "_label", "_pid", "end", "first", "position")

    def __init__(self, index: FileIndex, first: int, end: int, label: str) -> None:
        self._index = index
        self._label = label
        self.first = first
        self.end = end
        self.position = first
        """The row the next read returns."""
        self._f: IO[bytes] | None = None
        self._pid = 0

    def read(self) -> Any:
        """The row at ``position`` (a dict for CSV, the JSON value for JSON Lines); the caller checks
        ``position < end``."""
        f = self._f
        if f is None or self._pid != os.getpid():
            f = self._open_at(self.position)
        while True:
            raw = f.readline()
            if not raw:
                raise BadInput(f"{self._label}: the data file got shorter during the run")
            text = raw.decode("utf-8-sig").rstrip("\r\n")
            if text.strip():
                break
        self.position += 1
        if self._index.format == "csv":
            return dict(zip(self._index.columns, next(csv.reader((text,))), strict=False))
        return json.loads(text)

    def rewind(self) -> None:
        """Back to the first row of the share (cycle mode)."""
        self._open_at(self.first)
        self.position = self.first

    def _open_at(self, row: int) -> IO[bytes]:
        if self._f is not None:
            self._f.close()
        index = self._index
        f = self._f = index.path.open("rb")
        self._pid = os.getpid()
        checkpoint = row // STRIDE
        f.seek(index.offsets[checkpoint])
        skip = row - checkpoint * STRIDE
        while skip:
            raw = f.readline()
            if not raw:
                raise BadInput(f"{self._label}: the data file got shorter during the run")
            if raw.strip():
                skip -= 1
        return f

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

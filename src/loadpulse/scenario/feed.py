"""Test data for scenarios: ``users = loadpulse.feed("users.csv")``, then ``row = users.next(ctx)`` in a task.

Modes (what ``next`` hands out; "the rows" are this worker's share of the file, see below):

- ``"once"`` (default): every row goes to exactly one iteration of the whole run, in file order. When the
  rows run out, ``next`` raises :class:`FeedExhausted`: the iteration ends there (not counted, not an
  error) and its scenario stops starting iterations, like k6's shared-iterations running out; running
  iterations finish within the scenario's graceful stop and the run's warnings say when and why.
- ``"per-vu"``: each VU gets a row of its own the first time it asks and the same row on every later
  iteration (a login per virtual user, the Locust ask in locust#1506). No two VUs get the same row; a VU
  that finds none left stops the scenario the same way.
- ``"cycle"``: like ``"once"``, but after the last row it starts over from the first: never runs out.

Workers: a multi-process or Ray worker runs a share of the load (a ``profiles.segment.Segment``) and takes
the same share of the rows: rows ``[floor(N*start), floor(N*end))`` of the file's ``N``, so the shares of
segments that tile the load tile the rows, with no row in two workers (a ``WorkerPart`` takes its segment's
rows: contiguous, not striped like its arrivals). ``worker_share(segment)`` around
loading the scenario file gives every feed it opens that share; ``Feed.take_share`` gives it to one feed.

Memory: the file is scanned once at ``feed()`` (every row checked, streaming) and only a sparse index of
byte offsets is kept (feed_file.py); each ``next`` reads one line from the feed's own file handle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from loadpulse.errors import BadInput
from loadpulse.profiles.segment import Segment
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.scenario.feed_file import FileIndex, RowReader, scan

if TYPE_CHECKING:
    from loadpulse.scenario.ctx import Ctx

Mode = Literal["once", "per-vu", "cycle"]
Share = Segment | WorkerPart | tuple[int, int]
"""A worker's share: its segment of the load, its WorkerPart, or (index, count) of equal shares."""
MODES: tuple[str, ...] = ("once", "per-vu", "cycle")

_share = Segment()
"""The share of rows feeds opened now take (the worker's segment; the whole file in a single process)."""


class FeedExhausted(BaseException):
    """A feed has no row left for this iteration: the scenario stops starting iterations.

    A BaseException, so a task's ``except Exception`` around its requests does not swallow it and spin.
    """


@contextmanager
def worker_share(share: Share) -> Iterator[None]:
    """Feeds opened inside (by loading a scenario file) take this worker's share of their rows."""
    global _share
    before, _share = _share, _segment(share)
    try:
        yield
    finally:
        _share = before


def _segment(share: Share) -> Segment:
    if isinstance(share, Segment):
        return share
    if isinstance(share, WorkerPart):
        return share.segment
    index, count = share
    if not (isinstance(index, int) and isinstance(count, int) and 0 <= index < count):
        raise BadInput(f"worker share {share!r}: needs (index, count) with 0 <= index < count")
    return Segment(Fraction(index, count), Fraction(index + 1, count))


class Feed:
    """Rows of a CSV (dicts by header) or JSON Lines file (parsed values), handed out by ``next``."""

    def __init__(
        self,
        path: str | Path,
        mode: str = "once",
        *,
        share: Share | None = None,
        where: str | None = None,
        folder: Path | None = None,
    ) -> None:
        """``where`` ('file:line' for messages) and ``folder`` (what a relative path is relative to) are
        found from the calling code when not given (a YAML file gives its own)."""
        if where is None:
            where, folder = _caller()
        prefix = f"{where}: " if where else ""
        if mode not in MODES:
            raise BadInput(f"{prefix}feed mode {mode!r} is not one of {', '.join(map(repr, MODES))}")
        file = Path(path)
        if not file.is_absolute() and folder is not None:
            file = folder / file  # next to the scenario file, wherever loadpulse is started from
        self.label = str(path)
        try:
            self.index: FileIndex = scan(file, self.label)
        except BadInput as exc:
            raise BadInput(f"{prefix}{exc}") from None
        self.mode = mode
        self.columns = self.index.columns
        """The CSV header's column names (empty for JSON Lines)."""
        self._by_vu: dict[int, Any] = {}
        self._reader = RowReader(self.index, 0, self.index.rows, self.label)
        self.take_share(_share if share is None else share)

    def take_share(self, share: Share) -> None:
        """Hand out only this worker's share of the rows (a Segment, WorkerPart or (index, count))."""
        seg = _segment(share)
        rows = self.index.rows
        first, end = int(rows * seg.start), int(rows * seg.end)  # floor: shares tile the rows exactly
        self._reader.close()
        self._reader = RowReader(self.index, first, end, self.label)
        self._by_vu.clear()
        self.share = seg

    def __len__(self) -> int:
        """Rows in this worker's share (the whole file in a single process)."""
        return self._reader.end - self._reader.first

    @property
    def rows_total(self) -> int:
        """Rows in the whole file."""
        return self.index.rows

    @property
    def used(self) -> int:
        """Rows handed out so far in this share (in cycle mode, within the current pass)."""
        return self._reader.position - self._reader.first

    def next(self, ctx: Ctx | None = None) -> Any:
        """The next row for this iteration (per-vu: this VU's row, which needs ``ctx``)."""
        if self.mode == "per-vu":
            if ctx is None:
                raise TypeError(f"feed {self.label!r} is per-vu: pass the task's ctx, data.next(ctx)")
            vu = ctx.vu.id
            by_vu = self._by_vu
            if vu not in by_vu:
                by_vu[vu] = self._take(vu)
            return by_vu[vu]
        return self._take(0)

    def _take(self, vu: int) -> Any:
        reader = self._reader
        if reader.position >= reader.end:
            if self.mode == "cycle" and len(self):
                reader.rewind()
            else:
                raise FeedExhausted(self._exhausted_message(vu))
        return reader.read()

    def _exhausted_message(self, vu: int) -> str:
        n = len(self)
        of = "" if n == self.index.rows else f" (this worker's share of {self.index.rows:,})"
        if self.mode == "per-vu":
            return (
                f"data {self.label} ran out: {n:,} row(s){of} for VU {vu}, and per-vu gives each VU a row "
                "of its own; give at least as many rows as VUs, or use mode='cycle'"
            )
        return (
            f"data {self.label} ran out: all {n:,} row(s){of} used once each; give more rows, fewer "
            "iterations, or use mode='cycle' to reuse them"
        )

    def close(self) -> None:
        self._reader.close()

    def __repr__(self) -> str:
        return f"<Feed {self.label!r} mode={self.mode} rows={len(self)}/{self.index.rows}>"


def feed(path: str | Path, mode: Mode = "once") -> Feed:
    """Open a CSV (with a header) or JSON Lines file of test data for a scenario file.

    A relative ``path`` is found next to the scenario file. ``mode``: ``"once"`` (each row used by exactly
    one iteration of the run; when they run out the scenario stops), ``"per-vu"`` (each VU keeps a row of
    its own) or ``"cycle"`` (rows reused from the top when they run out). A task takes a row with
    ``row = data.next(ctx)``. Problems with the file are bad input naming its line, before any load.
    """
    return Feed(path, mode)


def feeds_from_yaml(value: dict[str, Any], folder: Path, at: Callable[..., str]) -> dict[str, Feed]:
    """A YAML file's ``data: {NAME: FILE}`` or ``{NAME: {file: FILE, mode: MODE}}``; ``at(*loc)`` gives the
    'file:line' of a YAML path."""
    feeds: dict[str, Feed] = {}
    for name, spec in value.items():
        where = at("data", name)
        if not name.isidentifier():
            raise BadInput(
                f"{where}: data.{name}: feed names are letters, digits and _ ({{{{ data.NAME.column }}}})"
            )
        if isinstance(spec, str):
            spec = {"file": spec}
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("file"), str)
            or set(spec) - {"file", "mode"}
        ):
            raise BadInput(f"{where}: data.{name}: give a file name, or {{file: users.csv, mode: once}}")
        feeds[name] = Feed(spec["file"], str(spec.get("mode", "once")), where=where, folder=folder)
    return feeds


def _caller() -> tuple[str, Path | None]:
    """'file:line' of the user code that opened the feed, and that file's folder (None: not a file)."""
    frame = sys._getframe(1)
    here = (__file__,)
    while frame is not None and frame.f_code.co_filename in here:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:  # pragma: no cover - there is always a caller
        return "", None
    file = Path(frame.f_code.co_filename)
    if not file.is_file():
        return "", None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}", file.resolve().parent

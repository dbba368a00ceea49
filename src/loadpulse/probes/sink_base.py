"""What every sink is (see :mod:`loadpulse.probes.sinks`): the base class and its error, in a module of
their own so the Redis and webhook sinks, imported only when used, need not import the others."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.probes.sink_rows import BadRow, SinkRow, row_from
from loadpulse.probes.sink_spec import SinkSpec
from loadpulse.probes.sources import short

TIMEOUT_S = 5.0
"""Connect and read timeout of one poll; a sink read returns every new row, more than a probe's number."""


class SinkError(Exception):
    """A poll failed this time (the database is down, the key was deleted): a warning and a gap."""


class Sink:
    def __init__(self, spec: SinkSpec) -> None:
        self.spec = spec
        self.skipped = 0
        """Entries that were not items (no id, an id of the wrong type, invalid JSON)."""
        self.first_problem: str | None = None

    @property
    def label(self) -> str:
        return self.spec.label

    def check(self) -> None:
        """Before the load: BadInput (one line) when the sink cannot be read."""
        raise NotImplementedError

    def poll(self) -> list[SinkRow]:
        """The rows that arrived since the last poll (as far as the sink can tell); SinkError on failure."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections, servers and threads."""

    def _skip(self, problem: BadRow) -> None:
        self.skipped += 1
        if self.first_problem is None:
            self.first_problem = short(problem)

    def _rows(self, values: Iterable[Any], default_at: Any = None) -> list[SinkRow]:
        rows: list[SinkRow] = []
        for value in values:
            try:
                rows.append(row_from(value, default_at))
            except BadRow as exc:
                self._skip(exc)
        return rows

    def _unanswered(self, exc: SinkError) -> BadInput:
        return BadInput(f"{self.label} does not answer: {exc}")

"""How the run's connections ended, in words: one warning per kind and close code (pure).

The error kinds count the ends; these lines say what the server said with them (its close code and
reason) or why loadpulse dropped the connection (the protocol error), once each, however many
connections ended the same way.
"""

from __future__ import annotations

from loadpulse.metrics.error_kinds import ErrorKind

MAX_DISTINCT = 20
"""Distinct ends described; the rest are in the error counts only."""
_REASON_MAX = 120
"""Characters of a close reason kept (a server may send up to 123 bytes)."""


class Endings:
    """The connections that ended under an error kind, grouped by kind and close code (or, for a protocol
    error, by what was wrong)."""

    __slots__ = ("_seen", "more")

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int | str], list[int | str]] = {}
        self.more = 0
        """Ends past :data:`MAX_DISTINCT` distinct ones."""

    def note(self, kind: str, code: int, reason: str) -> None:
        key: tuple[str, int | str] = (kind, reason) if kind == ErrorKind.PROTOCOL.value else (kind, code)
        entry = self._seen.get(key)
        if entry is not None:
            entry[0] = int(entry[0]) + 1
        elif len(self._seen) < MAX_DISTINCT:
            self._seen[key] = [1, reason[:_REASON_MAX]]
        else:
            self.more += 1

    def warnings(self) -> list[str]:
        lines = []
        for (kind, code), (count, reason) in self._seen.items():
            n = f"{count:,} connection{'s' if count != 1 else ''}"
            if kind == ErrorKind.PROTOCOL.value:
                lines.append(f"{kind}: {n} dropped for breaking the WebSocket protocol: {reason}")
            elif kind == ErrorKind.WS_ABNORMAL.value:
                lines.append(
                    f"{kind}: {n} lost without a close frame (1006: the server died, a proxy cut it)"
                )
            else:
                said = f" {reason!r}" if reason else (" (no code)" if code == 1005 else ", no reason")
                lines.append(f"{kind}: the server closed {n} with {code}{said}")
        if self.more:
            lines.append(
                f"{self.more:,} more connection ends, of other kinds and codes, are in the error counts"
            )
        return lines

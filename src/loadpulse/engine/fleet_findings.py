"""What the coordinator of a ``--workers`` run concludes from its workers, run-wide: a test-data feed that
ran out in several workers said once for the whole file, counting warnings with their counts added, and
the imbalance of the split judged scenario
by scenario."""

from __future__ import annotations

import re
from collections.abc import Sequence

_FEED_SHARE = re.compile(r"(?:all )?(?P<n>[\d,]+) row\(s\) \(this worker's share of (?P<whole>[\d,]+)\)")
"""A worker's feed that ran out (scenario/feed.py's warning): its share of the rows, and the file's."""
_FEED_VU = re.compile(r" for VU \d+,")


class FeedsRunOut:
    """The workers' "data X ran out" warnings, each worker's for its share of the rows, gathered into one
    line per feed for the whole run (``all 1,000 row(s) used once each``, as one process says it)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._out: dict[str, list[tuple[int, int, int]]] = {}
        """By the warning with its rows left out: (worker index, its rows, the file's)."""

    def take(self, index: int, line: str) -> bool:
        """Keep worker ``index``'s warning ``line`` if it is a feed's that ran out (True), to say later."""
        share = _FEED_SHARE.search(line)
        if share is None:
            return False
        key = _FEED_SHARE.sub("{rows}", _FEED_VU.sub(",", line))
        rows = (index, int(share["n"].replace(",", "")), int(share["whole"].replace(",", "")))
        self._out.setdefault(key, []).append(rows)
        return True

    def lines(self) -> list[str]:
        out = []
        for key, workers in self._out.items():
            used = sum(n for _, n, _ in workers)
            whole = workers[0][2]
            if used >= whole:
                rows = f"all {whole:,} row(s)"
            else:
                names = ", ".join(str(i) for i, _, _ in sorted(workers))
                rows = f"{used:,} of the {whole:,} row(s) (the shares of worker(s) {names} of {self.count})"
            out.append(key.replace("all {rows}", rows).replace("{rows}", rows))
        return out


_COUNTED = (
    # protocols/grpc/failures.py: failed calls by status and details, streams left unread.
    re.compile(r"^(?P<pre>grpc_\w+ x)(?P<n>[\d,]+)(?P<post>: .*)$"),
    re.compile(r"^(?P<pre>)(?P<n>[\d,]+)(?P<post> (?:more failed gRPC calls|gRPC streams) .*)$"),
    # protocols/ws/endings.py and plugin.py: how connections ended, messages dropped unread.
    re.compile(
        r"^(?P<pre>\w+: (?:the server closed )?)(?P<n>[\d,]+)"
        r"(?P<post> connections? (?:dropped for breaking the WebSocket protocol|lost without a close frame"
        r"|with ).*)$"
    ),
    re.compile(
        r"^(?P<pre>)(?P<n>[\d,]+)"
        r"(?P<post> (?:more connection ends|WebSocket messages were dropped unread).*)$"
    ),
)
"""Warnings that count something in their worker: the same line with other counts is one finding, its
counts added."""
_NOUN = re.compile(r"^ connections? ")


class CountedWarnings:
    """The workers' counting warnings, one line per finding for the whole run with the workers' counts
    added (two workers' ``grpc_unavailable x37: …`` and ``x40`` are ``x77``; ``the server closed 170
    connections with 1011`` and ``169`` are ``339``), as one process says it."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}

    def take(self, line: str) -> bool:
        """Keep ``line`` if it is a counting warning (True), to say later with the others' counts."""
        for pattern in _COUNTED:
            found = pattern.match(line)
            if found is not None:
                key = (found["pre"], _NOUN.sub(" connection{s} ", found["post"], count=1))
                self._counts[key] = self._counts.get(key, 0) + int(found["n"].replace(",", ""))
                return True
        return False

    def lines(self) -> list[str]:
        return [
            f"{pre}{n:,}" + post.replace("{s}", "" if n == 1 else "s", 1)
            for (pre, post), n in self._counts.items()
        ]


def deviation_pct(pairs: Sequence[tuple[int, float]]) -> float | None:
    """The largest deviation of an amount from its share of all the amounts (pairs of amount and share),
    in % of that share, to 0.1; None with fewer than two shares to compare or nothing done."""
    kept = [(n, share) for n, share in pairs if share > 0]
    total = sum(n for n, _ in kept)
    shares = sum(share for _, share in kept)
    if len(kept) < 2 or not total:
        return None
    return round(max(abs(n / (total * share / shares) - 1) for n, share in kept) * 100.0, 1)


def scenario_imbalance_pct(
    names: Sequence[str], done: Sequence[dict[str, int]], parts: Sequence[Sequence[int]]
) -> float | None:
    """The largest :func:`deviation_pct` over scenarios ``names``: worker ``i`` did ``done[i][name]``
    iterations of a scenario whose part it ran was ``parts[i][j]`` (VUs, arrivals or iterations: one unit
    within a scenario, not across them); None when no scenario has two workers to compare."""
    worst: float | None = None
    for j, name in enumerate(names):
        dev = deviation_pct([(d.get(name, 0), float(p[j])) for d, p in zip(done, parts, strict=True)])
        if dev is not None and (worst is None or dev > worst):
            worst = dev
    return worst

"""The live progress line: rate, ok/failed, p95, elapsed and ETA, refreshed on every snapshot (1/s).

With an iteration or request budget the bar counts it (``5,000/10,000 (50.0%)``, seed 004) rather than
time; probe values are written as people copy them, never in scientific notation. A run that checks a
pipeline shows its backlog (``backlog 1,234``: sent, not arrived yet), and lost and duplicated items once
there are any.

On a terminal it redraws one line in place, never wider than the terminal (the least needed fields are left
out first); elsewhere (CI logs, pipes) it prints a plain line every few
seconds so logs stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live
from rich.text import Text

from loadpulse.live.pipeline_figures import pipeline_figures
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.results.format import control_safe, fmt_count, fmt_duration, fmt_ms, fmt_number

PLAIN_EVERY_S = 5.0
BAR_WIDTH = 20
KEEP, DROP_ETA, DROP_VUS, DROP_BAR, DROP_PROBES = 0, 1, 2, 3, 4
"""How soon a field is left out of a line too wide for the terminal: probes first (the last one first),
then the bar (its percentage stays), the VU count and the ETA. Counts, p95, the pipeline's backlog and the
elapsed time stay."""


class ProgressLine:
    def __init__(
        self,
        console: Console,
        planned_s: float | None,
        planned_requests: int | None,
        planned_iterations: int | None = None,
    ) -> None:
        self.console = console
        self.planned_s = planned_s
        self.planned_requests = planned_requests
        self.planned_iterations = planned_iterations
        self._live: Live | None = None
        self._last_plain = 0.0

    def __enter__(self) -> ProgressLine:
        if self.console.is_terminal:
            self._live = Live(Text("starting…"), console=self.console, auto_refresh=False, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def budget(self, agg: Aggregate) -> tuple[int, int] | None:
        """(done, planned) of an iteration or request budget; None when the plan is time-bound."""
        if self.planned_iterations:
            return sum(s.iterations for s in agg.scenarios.values()), self.planned_iterations
        if self.planned_requests:
            return agg.total.requests, self.planned_requests
        return None

    def fraction(self, agg: Aggregate) -> float | None:
        budget = self.budget(agg)
        if budget is not None:
            return min(1.0, budget[0] / budget[1])
        if self.planned_s:
            return min(1.0, agg.elapsed_s / self.planned_s)
        return None

    def render(self, row: SeriesRow, agg: Aggregate, width: int | None = None) -> Text:
        """The line; with ``width`` (a terminal's), the least needed fields are left out until it fits."""
        frac = self.fraction(agg)
        elapsed = agg.elapsed_s
        fields: list[tuple[int, Text]] = []

        def add(drop: int, *parts: str | tuple[str, str]) -> None:
            fields.append((drop, Text.assemble(*parts)))

        if frac is not None:
            filled = round(frac * BAR_WIDTH)
            add(DROP_BAR, ("━" * filled, "green"), ("━" * (BAR_WIDTH - filled), "grey37"))
            budget = self.budget(agg)
            if budget is not None:
                add(KEEP, f"{budget[0]:,}/{budget[1]:,} ({frac * 100:.1f}%)")
            else:
                add(KEEP, f"{frac * 100:3.0f}%")
        add(KEEP, (f"{fmt_count(row.rate)} req/s", "bold"))
        add(KEEP, "ok ", (fmt_count(agg.total.ok), "green"))
        add(KEEP, "failed ", (fmt_count(agg.total.failed), "red" if agg.total.failed else ""))
        if agg.scenarios:
            add(DROP_VUS, f"VUs {row.vus}")
        if agg.dropped:
            add(KEEP, (f"dropped {fmt_count(agg.dropped)}", "yellow"))
        # Latencies are at least 1 µs: 0 means no response in the interval, shown as unknown, not as fast.
        add(KEEP, f"p95 {fmt_ms(row.p95_ms or None)}")
        fields += pipeline_fields(agg)
        for i, (name, value) in enumerate(list(row.probes.items())[:3]):  # the target's side, same line
            add(DROP_PROBES + 2 - i, (f"{control_safe(name)} {probe_value(value)}", "cyan"))
        add(KEEP, fmt_duration(elapsed))
        if frac:
            add(DROP_ETA, f"ETA {fmt_duration(elapsed / frac - elapsed)}")
        if width is not None:
            fields = fit(fields, width)
        # Never a second line: a line that wraps leaves copies of itself on the terminal as it redraws.
        return Text("  ", no_wrap=True, overflow="ellipsis").join(t for _, t in fields)

    def update(self, snap: Snapshot, row: SeriesRow, agg: Aggregate) -> None:
        self._show(lambda width: self.render(row, agg, width))

    def draining(self, agg: Aggregate, waited_s: float) -> None:
        """After the load: the pipeline's items still awaited, and for how long."""
        self._show(lambda width: self.render_drain(agg, waited_s, width))

    def render_drain(self, agg: Aggregate, waited_s: float, width: int | None = None) -> Text:
        fields: list[tuple[int, Text]] = [(KEEP, Text("load done, waiting for the pipeline", style="bold"))]
        fields += pipeline_fields(agg)
        fields.append((KEEP, Text(f"waited {fmt_duration(waited_s)}")))
        if width is not None:
            fields = fit(fields, width)
        return Text("  ", no_wrap=True, overflow="ellipsis").join(t for _, t in fields)

    def _show(self, render: Callable[[int | None], Text]) -> None:
        if self._live is not None:
            self._live.update(render(self.console.width), refresh=True)
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            # A log line keeps every field: it may be as long as it needs.
            self.console.print(render(None), soft_wrap=True)


def probe_value(x: float) -> str:
    """A probe's value with thousands separators and at most 3 decimals, never 1.2e+06 (issue 10, item
    23); below a millionth it is 0."""
    return fmt_number(x if abs(x) >= 1e-6 else 0.0)


def pipeline_fields(agg: Aggregate) -> list[tuple[int, Text]]:
    """The pipeline's backlog (sent, not arrived yet), and lost and duplicated items once there are any:
    lost is known only after the load (until then an unseen item is on its way)."""
    figures = pipeline_figures(agg.pipeline)
    if figures is None:
        return []
    out: list[tuple[int, Text]] = []
    # After the load the missing items are shown as lost, and only what is left besides them as backlog.
    if figures.pending or not figures.after_load:
        out.append((KEEP, Text.assemble("backlog ", (fmt_count(figures.pending), "cyan"))))
    if figures.lost:
        out.append((KEEP, Text(f"lost {fmt_count(figures.lost)}", style="red")))
    if figures.duplicates:
        out.append((KEEP, Text(f"dup {fmt_count(figures.duplicates)}", style="red")))
    return out


def fit(fields: list[tuple[int, Text]], width: int) -> list[tuple[int, Text]]:
    """``fields`` without the most droppable ones (the later first among equals) until they fit in
    ``width`` columns, two spaces apart."""
    kept = list(fields)
    while sum(t.cell_len for _, t in kept) + 2 * (len(kept) - 1) > width:
        rank = max(drop for drop, _ in kept)
        if rank == KEEP:
            break
        last = max(i for i, (drop, _) in enumerate(kept) if drop == rank)
        del kept[last]
    return kept

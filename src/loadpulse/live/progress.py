"""The live progress line: rate, ok/failed, p95, elapsed and ETA, refreshed on every snapshot (1/s).

With an iteration or request budget the bar counts it (``5,000/10,000 (50.0%)``, seed 004) rather than
time; probe values are written as people copy them, never in scientific notation.

On a terminal it redraws one line in place; elsewhere (CI logs, pipes) it prints a plain line every few
seconds so logs stay readable.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.metrics.snapshot import Snapshot
from loadpulse.results.format import control_safe, fmt_count, fmt_duration, fmt_ms, fmt_number

PLAIN_EVERY_S = 5.0
BAR_WIDTH = 20


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

    def render(self, row: SeriesRow, agg: Aggregate) -> Text:
        frac = self.fraction(agg)
        elapsed = agg.elapsed_s
        text = Text()
        if frac is not None:
            filled = round(frac * BAR_WIDTH)
            text.append("━" * filled, style="green")
            text.append("━" * (BAR_WIDTH - filled), style="grey37")
            budget = self.budget(agg)
            if budget is not None:
                text.append(f" {budget[0]:,}/{budget[1]:,} ({frac * 100:.1f}%)  ")
            else:
                text.append(f" {frac * 100:3.0f}%  ")
        text.append(f"{fmt_count(row.rate)} req/s", style="bold")
        text.append("  ok ")
        text.append(fmt_count(agg.total.ok), style="green")
        text.append("  failed ")
        text.append(fmt_count(agg.total.failed), style="red" if agg.total.failed else "")
        if agg.scenarios:
            text.append(f"  VUs {row.vus}")
        if agg.dropped:
            text.append(f"  dropped {fmt_count(agg.dropped)}", style="yellow")
        # Latencies are at least 1 µs: 0 means no response in the interval, shown as unknown, not as fast.
        text.append(f"  p95 {fmt_ms(row.p95_ms or None)}")
        for name, value in list(row.probes.items())[:3]:  # the target's side, on the same line
            text.append(f"  {control_safe(name)} {probe_value(value)}", style="cyan")
        text.append(f"  {fmt_duration(elapsed)}")
        if frac:
            eta = elapsed / frac - elapsed
            text.append(f"  ETA {fmt_duration(eta)}")
        return text

    def update(self, snap: Snapshot, row: SeriesRow, agg: Aggregate) -> None:
        line = self.render(row, agg)
        if self._live is not None:
            self._live.update(line, refresh=True)
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            self.console.print(line, soft_wrap=True)


def probe_value(x: float) -> str:
    """A probe's value with thousands separators and at most 3 decimals, never 1.2e+06 (issue 10, item
    23); below a millionth it is 0."""
    return fmt_number(x if abs(x) >= 1e-6 else 0.0)

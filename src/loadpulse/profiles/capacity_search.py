"""Capacity search: which load to try next, when a step has settled, and what the steps add up to (pure).

The policy behind ``loadpulse capacity`` (docs/capacity.md), with no clock and no I/O: the command runs
each step and hands its observation back; a fake target model runs the same policy in the unit tests.

1. **Grow**: open-model steps from ``start``, each ``growth`` times the last (capped at ``max_rate``),
   until a step fails an objective. A first step that fails already walks *down* by the same factor until
   one passes (or the rate floor is reached: nothing passes).
2. **Bisect** between the highest rate that met every objective (``lo``) and the lowest that did not
   (``hi``) until ``hi - lo <= precision * hi`` (or, counting VUs, until they are one apart).
3. A step the generator itself could not hold (:func:`generator_limit`) is never read as the target's
   limit: the search stops there and says so.
4. The budget (``max_duration_s``) is checked before each step: a step that would end past it is not run.

The answer is ``lo``, a rate that was measured to meet every objective; its interval is the last bracket
``[lo, hi]`` widened on both sides by the rate noise measured at ``lo`` (how far the achieved rate fell
short of the offered one, and how much it wavered from interval to interval).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

GENERATOR_SHORTFALL = 0.97
"""A step whose target met every objective but which achieved less than this share of the offered rate
was not offered in full: the generator's limit, not the target's."""
DROPPED_SHARE = 0.005
"""Dropped arrivals above this share of the offered ones (open model): the generator's limit."""
SATURATED_CPU_PCT = 90.0
"""The generator process busy this much of one core: its own figures cannot be trusted on a failing step."""
CLEAR_MISS = 1.5
"""A failed step whose objective missed by less than this ratio (a p95 of 140 ms against 100 ms) may have
failed on noise (a busy generator host, a queue's randomness): the interval's upper end reaches the lowest
rate that failed clearly."""
COUNT_SLACK = 2.0
"""Completions a window of whole intervals may gain or lose at its two ends (the keep-up rule's slack)."""
MIN_RATE = 1.0
"""The lowest rate (or VU count) the search walks down to when the first step fails already."""

STOP_PRECISION = "precision"
STOP_MAX_RATE = "max_rate"
STOP_MAX_DURATION = "max_duration"
STOP_GENERATOR = "generator"
STOP_NOTHING_PASSED = "nothing_passed"
STOP_INTERRUPTED = "interrupted"
STOP_UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class SearchSettings:
    start: float
    """The first step's rate (arrivals/s) or VU count."""
    max_rate: float | None = None
    growth: float = 2.0
    precision: float = 0.05
    """Stop bisecting once the bracket is this narrow, relative to its upper end."""
    step_duration_s: float = 30.0
    """The longest a step holds (it may end earlier once settled: :class:`SettleRule`)."""
    max_duration_s: float | None = None
    """The whole search's budget: no step starts that could end past it."""
    integer: bool = False
    """Rates are VU counts: whole numbers, and a bracket one VU wide is as narrow as it gets."""

    def problems(self) -> list[str]:
        """What is wrong with these settings, as flag-named messages (empty when they are usable)."""
        out = []
        finite = {"--start-rate": self.start, "--max-rate": self.max_rate, "--growth": self.growth}
        for flag, value in finite.items():
            if value is not None and not math.isfinite(value):
                out.append(f"{flag} must be a finite number (got {value:g})")
        if out:
            return out
        if self.max_rate is not None and not self.max_rate > 0:
            out.append(f"--max-rate must be greater than zero (got {self.max_rate:g})")
        if not self.start > 0:
            out.append(f"--start-rate must be greater than zero (got {self.start:g})")
        if self.max_rate is not None and self.max_rate < self.start:
            out.append(
                f"--max-rate {self.max_rate:g} is below the start rate {self.start:g}: the search could not "
                "take a single step; raise --max-rate or lower --start-rate"
            )
        if not self.growth > 1:
            out.append(f"--growth must be greater than 1 (got {self.growth:g})")
        if not 0 < self.precision < 1:
            out.append(f"--precision must be between 0 and 100 % (got {self.precision * 100:g} %)")
        if not self.step_duration_s > 0:
            out.append("--step-duration must be greater than zero")
        if self.max_duration_s is not None and self.max_duration_s < self.step_duration_s:
            out.append(
                f"--max-duration {self.max_duration_s:g}s is shorter than one step "
                f"(--step-duration {self.step_duration_s:g}s)"
            )
        return out


@dataclass(frozen=True, slots=True)
class StepObservation:
    """What one step measured, as the search needs it."""

    rate: float
    """Offered: arrivals (requests or iterations) per second, or VUs."""
    achieved: float
    """Completed requests (or iterations) per second."""
    passed: bool
    """Every objective met."""
    limited_by: str | None = None
    """The objective it failed by the widest margin (None when it passed)."""
    generator_limited: str | None = None
    """Why the generator could not hold this step (None when it could): see :func:`generator_limit`."""
    duration_s: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float = 0.0
    dropped: int = 0
    interval_rates: tuple[float, ...] = ()
    """Achieved rate of each full interval inside the step (the noise estimate's input)."""
    ended: str = "held"
    """'settled', 'diverged' (ended early: see :class:`SettleRule`), 'held' (ran its full duration) or
    'interrupted'."""
    run_id: str = ""
    miss: float | None = None
    """How far the limiting objective missed (actual / bound: 1.3 is 30 % past it); None: unknown."""
    unreachable: str | None = None
    """Why this step measured a dead target rather than a limit (see :func:`unreachable`); None when not."""


@dataclass(frozen=True, slots=True)
class CapacityResult:
    max_rate: float | None
    """The highest rate that met every objective (None: none did)."""
    ci: tuple[float | None, float | None]
    """Where the limit lies: the last bracket widened by the rate noise; the upper end is None when no
    step failed (the limit is above every rate tried)."""
    limited_by: str | None
    """The objective that failed first: the widest miss at the lowest failing rate; 'generator' when the
    generator ran out first."""
    stopped_by: str
    message: str
    steps: tuple[StepObservation, ...]


def shortfall(offered: float, achieved: float, open_model: bool, slack: float = 0.0) -> bool:
    """The step completed less than :data:`GENERATOR_SHORTFALL` of what it offered (open model only:
    VUs are not a rate). ``slack`` (/s): what counting whole completions in a short window may miss (two
    of them over the window: at 10/s, one interval of 9 is 90 %, and means nothing)."""
    return open_model and offered > 0 and achieved + slack < GENERATOR_SHORTFALL * offered


def generator_limit(
    *,
    offered: float,
    achieved: float,
    dropped: int,
    duration_s: float,
    passed: bool,
    loop_limited: bool,
    cpu_pct: float | None,
    open_model: bool,
    slack: float = 0.0,
    miss: float | None = None,
) -> str | None:
    """Why the generator, not the target, set this step's figures; None when it held the step.

    - Arrivals dropped while the target met every objective: the most in flight (``--max-in-flight``,
      ``--max-vus``) was reached, so the target was never sent the offered load.
    - A shortfall (achieved under 97 % of offered) or a failed objective, with the generator busy: its
      event loop lagged enough to be part of what was measured (``loop_limited``, the run summary's own
      rule) or its process used a whole core. The shortfall or the failure may be ours.

    A shortfall or a failure with an idle generator is the target's (requests piled up in it), as are
    dropped arrivals on a step that failed its objectives (slow answers filled the in-flight slots). So is
    a failure that missed clearly (``miss``, actual / bound, at least :data:`CLEAR_MISS`) while the loop
    only lagged (a busy host's stall) and the process was not saturated: a lag adds its own length to a
    latency, not multiples of the objective.
    """
    busy = None
    cpu_saturated = cpu_pct is not None and cpu_pct >= SATURATED_CPU_PCT
    if loop_limited:
        busy = "the generator's event loop lagged by a large share of the measured latency"
    elif cpu_pct is not None and cpu_saturated:
        busy = f"the generator used {cpu_pct:.0f} % of a core"
    if passed and open_model and offered > 0 and dropped > DROPPED_SHARE * offered * max(duration_s, 1e-9):
        return (
            f"{dropped:,} arrivals dropped: the most requests in flight was reached while the target met "
            "every objective"
        )
    if passed and shortfall(offered, achieved, open_model, slack):
        if busy is None:
            return None  # the target fell behind: see :func:`shortfall`, judged as a failed step
        return f"achieved {achieved:,.1f}/s of the {offered:,.1f}/s offered: {busy}"
    if passed:
        return None
    if busy is not None and loop_limited and not cpu_saturated and miss is not None and miss >= CLEAR_MISS:
        return None
    return busy


SHORTFALL_OBJECTIVE = f"achieved>={GENERATOR_SHORTFALL:.0%} of offered"
"""The objective every open-model step meets besides the user's: a target that completes less than it is
offered falls behind, whatever its latency (its backlog is work it never did)."""


@dataclass(slots=True)
class CapacitySearch:
    """The search as a state machine: ask :meth:`next_rate`, run that step, :meth:`record` it, repeat
    until :meth:`next_rate` is None, then read :meth:`result`."""

    settings: SearchSettings
    steps: list[StepObservation] = field(default_factory=list)
    lo: StepObservation | None = None
    hi: StepObservation | None = None
    stopped_by: str | None = None
    generator_step: StepObservation | None = None

    def _round(self, rate: float) -> float:
        if self.settings.integer:
            return float(max(1, round(rate)))
        # Three significant digits: 1,837.4/s tried reads as 1,840/s and no precision is lost that a
        # bracket of a few per cent could use.
        digits = 3 - math.floor(math.log10(rate)) - 1 if rate > 0 else 0
        return round(rate, digits)

    def _narrow_enough(self) -> bool:
        assert self.lo is not None and self.hi is not None
        gap = self.hi.rate - self.lo.rate
        if self.settings.integer and gap <= 1:
            return True
        return gap <= self.settings.precision * self.hi.rate

    def _proposal(self) -> float | None:
        s = self.settings
        if not self.steps:
            return self._round(s.start)
        if self.lo is not None and self.hi is not None:
            if self._narrow_enough():
                self.stopped_by = STOP_PRECISION
                return None
            mid = self._round((self.lo.rate + self.hi.rate) / 2)
            if mid <= self.lo.rate or mid >= self.hi.rate:  # rounding left nothing between them
                self.stopped_by = STOP_PRECISION
                return None
            return mid
        if self.hi is None:
            assert self.lo is not None
            if s.max_rate is not None and self.lo.rate >= s.max_rate:
                self.stopped_by = STOP_MAX_RATE
                return None
            up = self._round(self.lo.rate * s.growth)
            return min(up, s.max_rate) if s.max_rate is not None else up
        # Nothing passed yet: walk down.
        down = self._round(self.hi.rate / s.growth)
        if down < MIN_RATE or down >= self.hi.rate:
            self.stopped_by = STOP_NOTHING_PASSED
            return None
        return down

    def next_rate(self, elapsed_s: float = 0.0) -> float | None:
        """The next step's rate, or None when the search is over (``elapsed_s``: time spent so far)."""
        if self.stopped_by is not None:
            return None
        rate = self._proposal()
        if rate is None:
            return None
        budget = self.settings.max_duration_s
        if budget is not None and elapsed_s + self.settings.step_duration_s > budget:
            self.stopped_by = STOP_MAX_DURATION
            return None
        return rate

    def record(self, step: StepObservation) -> None:
        self.steps.append(step)
        if step.ended == "interrupted":
            self.stopped_by = STOP_INTERRUPTED
            return
        if step.unreachable is not None:
            # A dead target bounds nothing: the step is neither a pass nor the limit.
            self.stopped_by = STOP_UNREACHABLE
            return
        if step.generator_limited is not None:
            self.generator_step = step
            self.stopped_by = STOP_GENERATOR
            return
        if step.passed:
            if self.lo is None or step.rate > self.lo.rate:
                self.lo = step
        elif self.hi is None or step.rate < self.hi.rate:
            self.hi = step

    def stop(self, reason: str) -> None:
        """End the search from outside (an interrupt between steps)."""
        self.stopped_by = reason

    def noise(self) -> float:
        """The relative rate noise at ``lo``: its shortfall against the offered rate, the standard error
        of its per-interval achieved rates, and the counting error of its window (two completions over
        its intervals, taken as 1 s each: a completion just either side of the window's ends)."""
        if self.lo is None or self.lo.rate <= 0 or self.settings.integer:
            return 0.0
        lo = self.lo
        shortfall = max(0.0, 1.0 - lo.achieved / lo.rate)
        rates = [r for r in lo.interval_rates if r > 0]
        spread = 0.0
        if len(rates) >= 2:
            spread = statistics.stdev(rates) / statistics.fmean(rates) / math.sqrt(len(rates))
        counting = COUNT_SLACK / len(lo.interval_rates) / lo.rate if lo.interval_rates else 0.0
        return shortfall + spread + counting

    def result(self, unit: str = "req/s") -> CapacityResult:
        stopped = self.stopped_by or STOP_PRECISION
        noise = self.noise()
        lo = self.lo.rate if self.lo is not None else None
        hi = self.hi.rate if self.hi is not None else None
        ci_lo = None if lo is None else self._bound(lo * (1 - noise))
        ci_hi = None if hi is None else self._bound(self._clear_failure() * (1 + noise))
        limited_by = self.hi.limited_by if self.hi is not None else None
        if stopped == STOP_GENERATOR:
            limited_by = "generator"
        elif stopped == STOP_UNREACHABLE:
            limited_by = "unreachable"
        return CapacityResult(
            max_rate=lo,
            ci=(ci_lo, ci_hi),
            limited_by=limited_by,
            stopped_by=stopped,
            message=self._message(stopped, unit),
            steps=tuple(self.steps),
        )

    def _clear_failure(self) -> float:
        """The lowest failing rate at or above ``hi`` that missed clearly (:data:`CLEAR_MISS`); the
        highest failing rate when every miss was narrow."""
        assert self.hi is not None
        failing = [
            s
            for s in self.steps
            if not s.passed
            and s.generator_limited is None
            and s.unreachable is None
            and s.rate >= self.hi.rate
        ]
        clear = [s.rate for s in failing if s.miss is None or s.miss >= CLEAR_MISS]
        return min(clear) if clear else max(s.rate for s in failing)

    def _bound(self, value: float) -> float:
        return float(round(value)) if self.settings.integer else round(value, 3)

    def _message(self, stopped: str, unit: str) -> str:
        lo = f"{self.lo.rate:,.6g} {unit}" if self.lo is not None else None
        if stopped == STOP_GENERATOR:
            step = self.generator_step
            assert step is not None
            most = step.achieved
            hint = "use --workers to spread the load over more processes"
            if "dropped" in (step.generator_limited or ""):
                hint = "raise --max-in-flight / --max-vus, or use --workers"
            if lo is None:
                return (
                    f"the generator could not offer even the start rate, {step.rate:,.6g} {unit} (it "
                    f"achieved {most:,.0f}/s: {step.generator_limited}): {hint}; the target was not tested"
                )
            return (
                f"the generator could not offer more than {most:,.0f}/s at {step.rate:,.6g} {unit} "
                f"({step.generator_limited}): {hint}; the target's limit is above {lo}"
            )
        if stopped == STOP_UNREACHABLE:
            last = self.steps[-1]
            return f"the search stopped at {last.rate:,.6g} {unit}: {last.unreachable}" + (
                f"; highest passing before it {lo}" if lo else ""
            )
        if stopped == STOP_NOTHING_PASSED:
            return f"no step met every objective, down to {self.steps[-1].rate:,.6g} {unit}"
        if stopped == STOP_MAX_RATE:
            return f"every objective held up to --max-rate ({lo}): the limit is higher"
        if stopped == STOP_MAX_DURATION:
            return "--max-duration reached before the bracket was narrow enough" + (
                f"; highest passing {lo}" if lo else ""
            )
        if stopped == STOP_INTERRUPTED:
            return "interrupted" + (f"; highest passing so far {lo}" if lo else "")
        return f"found within {self.settings.precision * 100:g} %"

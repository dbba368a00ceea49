"""When each fault fires: ``every`` expanded into occurrences within the run, checked before the load
(pure: a function of the specs and the planned duration).

Checked here, one line each (:class:`BadFault`): a fault that would fire after the load's planned end, a
proxy fault naming a proxy the run does not declare, and two faults on one proxy that overlap in time
and contradict each other (two latencies at once: which one would the proxy inject?), and a repeated
fault whose ``every`` is shorter than the run's interval. Warned about (:func:`unmeasurable`): a fault
whose end plus its settling window is past the planned end, so its recovery cannot be measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from loadpulse.faults.proxy_faults import BadFault, combine
from loadpulse.faults.proxy_spec import ProxySpec
from loadpulse.faults.recovery import DEFAULT_SETTLE_S
from loadpulse.faults.spec import FaultSpec

MAX_OCCURRENCES = 10_000
"""An ``every`` far shorter than the run would fire without end: past this many it is refused."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    fault: FaultSpec
    start_s: float
    """Seconds from the load's start."""
    end_s: float | None
    """When it is planned to end; None: it lasts to the run's end (a proxy fault without ``for``) or
    as long as it takes (a run: command, a kill's restart)."""

    def overlaps(self, other: Occurrence) -> bool:
        end_a = self.end_s if self.end_s is not None else float("inf")
        end_b = other.end_s if other.end_s is not None else float("inf")
        return self.start_s < end_b and other.start_s < end_a


def occurrences(fault: FaultSpec, planned_s: float | None) -> list[Occurrence]:
    """Every time ``fault`` fires within ``planned_s`` (None: a run with no planned end, e.g. ``-n``)."""

    def occ(t: float) -> Occurrence:
        return Occurrence(fault, t, t + fault.for_s if fault.for_s is not None else None)

    if fault.every_s is None:
        return [occ(fault.at_s)]
    bound = fault.until_s if fault.until_s is not None else planned_s
    if bound is None and fault.count is None:
        raise BadFault(
            f"{fault.where}.every: this run has no planned end (a request budget): bound it with count: "
            "or until:"
        )
    out: list[Occurrence] = []
    k = 0
    while fault.count is None or k < fault.count:
        t = fault.at_s + k * fault.every_s
        if bound is not None and t >= bound and k > 0:
            break
        if len(out) >= MAX_OCCURRENCES:
            raise BadFault(f"{fault.where}.every: fires more than {MAX_OCCURRENCES:,} times in this run")
        out.append(occ(t))
        k += 1
    return out


def schedule(
    faults: Sequence[FaultSpec],
    proxies: Mapping[str, ProxySpec],
    planned_s: float | None,
    planned_by: str = "",
    interval_s: float = 1.0,
) -> list[Occurrence]:
    """Every occurrence of every fault, by start time; BadFault for what cannot run as asked.
    ``planned_by``: what set the planned duration, for the message (``--preset quick``)."""
    out: list[Occurrence] = []
    for fault in faults:
        if fault.every_s is not None and fault.every_s < interval_s - 1e-9:
            # Recovery is judged on whole intervals, and a shell or a kill every millisecond starves the
            # load's own event loop (1 ms: the loop lagged 1.75 s).
            raise BadFault(
                f"{fault.where}.every: {fault.every_s:g}s is shorter than the run's interval "
                f"({interval_s:g}s): a repeated fault fires at most once an interval"
            )
        if fault.kind == "proxy" and fault.target not in proxies:
            known = ", ".join(sorted(proxies)) or "none declared"
            raise BadFault(
                f"{fault.where}.proxy: no proxy named {fault.target!r} ({known}); declare it in proxies "
                "or with --proxy NAME=LISTEN->UPSTREAM"
            )
        for o in occurrences(fault, planned_s):
            if planned_s is not None and o.start_s >= planned_s:
                by = f" set by {planned_by}" if planned_by else ""
                raise BadFault(
                    f"{fault.where}.at: fires at {o.start_s:g}s, past the end of the {planned_s:g}s run{by}"
                )
            out.append(o)
    out.sort(key=lambda o: o.start_s)
    check_overlaps(out)
    return out


def unmeasurable(occs: Sequence[Occurrence], planned_s: float | None) -> list[str]:
    """One warning per fault (its first such occurrence) whose planned end plus settling window is past
    ``planned_s``: its recovery will be "not measurable", not a finding about the system."""
    if planned_s is None:
        return []
    out: list[str] = []
    said: set[str] = set()
    for o in occs:
        f = o.fault
        if f.name in said or (o.end_s is None and f.kind == "proxy"):
            continue  # a proxy fault without for lasts to the end: nothing after it to judge, by design
        settle = f.settle_s if f.settle_s is not None else DEFAULT_SETTLE_S
        end = o.end_s if o.end_s is not None else o.start_s
        if end + settle > planned_s + 1e-9:
            said.add(f.name)
            out.append(
                f"{f.where}: {f.name!r} ends at {end:g}s at the earliest and its settling window is "
                f"{settle:g}s, past the load's planned end ({planned_s:g}s): its recovery will not be "
                "measurable (make the run longer, fire it earlier, or give a shorter settle)"
            )
    return out


def check_overlaps(occs: Sequence[Occurrence]) -> None:
    """BadFault when two proxy faults on the same proxy are on at once and set the same thing."""
    by_proxy: dict[str, list[Occurrence]] = {}
    for o in occs:
        if o.fault.kind == "proxy":
            by_proxy.setdefault(o.fault.target, []).append(o)
    for items in by_proxy.values():
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start_s >= (a.end_s if a.end_s is not None else float("inf")):
                    break  # sorted by start: none later overlaps a either
                if a.fault is b.fault or not a.overlaps(b):
                    continue
                assert a.fault.proxy is not None and b.fault.proxy is not None
                try:
                    combine(a.fault.proxy, b.fault.proxy)
                except BadFault as exc:
                    raise BadFault(
                        f"{b.fault.where}: overlaps {a.fault.name!r} on proxy {a.fault.target!r} from "
                        f"{b.start_s:g}s and contradicts it: {str(exc).split(': ', 1)[-1]}"
                    ) from None


def collapsed(lines: Sequence[str]) -> list[str]:
    """Repeated identical lines once each, in first-seen order, with how many: ``… (x40)``."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} (x{n})" for line, n in counts.items()]

"""The run's faults, fired on the load's clock: a service of the Runner (engine/run.py).

Started with the run, before ``setup()`` and the load: it starts the declared proxies, so the target can
be pointed at them before any request. Once ``setup()`` is done (it may start the target), it checks that
every kill target matches a process (one that does not is bad input, exit 2) — except a target whose
first kill follows a ``run:`` or ``restart:`` fault, which may be what starts it (if it matches nothing
when it fires, that is a warning on the timeline). When the load starts it fires each occurrence at its
time (each in its own task: overlapping faults run side by side), and records every start, end and
warning on the :class:`~loadpulse.chaos.timeline.FaultTimeline`. Stopped with the run: faults still on
are undone (proxies cleared and closed, paused processes resumed, ``run:`` commands — and whatever they
left running in the background — and restarted processes stopped with their process groups).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Sequence
from typing import Any, Protocol

from loadpulse.chaos import shell
from loadpulse.chaos.processes import (
    MANY_MATCHES,
    ended,
    find,
    own_pid,
    resume,
    send,
    start_command,
    stop_group,
    wait_gone,
)
from loadpulse.chaos.proxy import FaultProxy, ProxyError
from loadpulse.chaos.shell import run_command
from loadpulse.chaos.timeline import FaultHook, FaultRecord, FaultTimeline
from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import NO_FAULTS, BadFault, ProxyFaults, combine
from loadpulse.faults.schedule import Occurrence, collapsed, schedule, unmeasurable
from loadpulse.faults.spec import FaultPlan, FaultSpec
from loadpulse.metrics.aggregate import Aggregate, SeriesRow
from loadpulse.thresholds.threshold import Threshold

KILLED_WAIT_S = 5.0
"""Before a restart, how long to wait for the killed processes to be gone (a port they held)."""
RESTART_CHECK_S = 0.2
OWN_PROCESS = "loadpulse's own process (or one it runs under): never a kill target"


class RunHooks(Protocol):
    """What the fault runner uses of the Runner (engine/run.py)."""

    warnings: list[str]
    ready_hooks: list[Any]
    start_hooks: list[Any]
    cut_hooks: list[Any]


class FaultRunner:
    """Fires a :class:`FaultPlan` within one run. Built before the load (the schedule is checked then:
    BadFault for what cannot run as asked); ``start``/``stop`` are the Runner's service calls."""

    def __init__(
        self,
        plan: FaultPlan,
        planned_s: float | None,
        thresholds: Sequence[Threshold] = (),
        on_fault: FaultHook | None = None,
        planned_by: str = "",
        interval_s: float = 1.0,
    ) -> None:
        self.plan = plan
        self.occurrences: list[Occurrence] = schedule(
            plan.faults, plan.proxies, planned_s, planned_by, interval_s
        )
        self.plan_warnings = unmeasurable(self.occurrences, planned_s)
        """Said before the load: faults whose recovery cannot be measured within the planned run."""
        self.timeline = FaultTimeline(thresholds, on_fault)
        self.proxies: dict[str, FaultProxy] = {}
        self._on: dict[str, list[FaultSpec]] = {}
        """Proxy faults on now, per proxy, in the order they began."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._clock: asyncio.Task[None] | None = None
        self._paused: dict[int, FaultRecord] = {}
        """Paused pids (SIGCONT due), and the fault that paused each."""
        self._restarted: list[subprocess.Popen[bytes]] = []
        self._run_groups: list[int] = []
        """Process groups of ``run:`` commands that exited: what they left running is stopped at the end."""
        self._draining: list[asyncio.Task[None]] = []
        self._runner: RunHooks | None = None

    # The Runner's service calls ------------------------------------------------------------------

    async def start(self, runner: RunHooks) -> None:
        self._runner = runner
        runner.warnings.extend(self.plan_warnings)
        try:
            for spec in self.plan.proxies.values():
                proxy = FaultProxy(spec.listen, spec.upstream, spec.name)
                try:
                    await proxy.start()
                except (ProxyError, OSError) as exc:
                    raise BadInput(f"{spec.where}: {exc}") from None
                self.proxies[spec.name] = proxy
        except BaseException:
            await self._close_proxies()
            raise
        runner.ready_hooks.append(self._check_targets)
        runner.start_hooks.append(self._load_started)
        runner.cut_hooks.append(self._on_cut)

    async def stop(self) -> None:
        tasks = [t for t in (self._clock, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._resume(list(self._paused))
        await self._close_proxies()
        restarted, self._restarted = self._restarted, []
        for proc in restarted:
            await asyncio.to_thread(stop_group, proc)
        groups, self._run_groups = self._run_groups, []
        for pgid in groups:
            await shell.stop_group(pgid)
        for task in self._draining:
            task.cancel()

    # The clock ---------------------------------------------------------------------------------------

    def _load_started(self, t0_ns: int) -> None:
        self.timeline.t0_ns = t0_ns
        self._clock = asyncio.ensure_future(self._fire_all())

    def _on_cut(self, row: SeriesRow, agg: Aggregate, final: bool) -> None:
        if final:
            self._warn_paused_gone()  # its SIGCONT comes after this cut: say it while the JSON is made
        self.timeline.on_cut(row, agg, final)
        if final and self._runner is not None:
            # The outcome takes the run's warnings right after the final cut.
            self._runner.warnings.extend(collapsed(self.timeline.warnings))

    async def _fire_all(self) -> None:
        for occ in self.occurrences:
            delay = occ.start_s - self.timeline.now_s()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.timeline.over:
                return
            task = asyncio.ensure_future(self._fire(occ))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _fire(self, occ: Occurrence) -> None:
        f = occ.fault
        try:
            if f.kind == "proxy":
                await self._proxy_fault(f)
            elif f.kind == "run":
                await self._run_fault(f)
            else:
                await self._process_fault(f)
        except Exception as exc:  # a fault that breaks must not end the run, nor vanish in its task
            self.timeline.warnings.append(f"fault {f.name!r} failed: {type(exc).__name__}: {exc}")

    # The kinds --------------------------------------------------------------------------------------

    async def _proxy_fault(self, f: FaultSpec) -> None:
        assert f.proxy is not None
        proxy = self.proxies[f.target]
        on = self._on.setdefault(f.target, [])
        rec = self.timeline.begin(f.name, "proxy", f.target, f"{f.proxy.describe()} on proxy {f.target}",
                                  f.for_s, f.settle_s)  # fmt: skip
        on.append(f)
        proxy.apply(_settings(on))
        try:
            await (asyncio.sleep(f.for_s) if f.for_s is not None else asyncio.Event().wait())
        finally:
            on.remove(f)
            proxy.apply(_settings(on))
            self.timeline.end(rec)

    async def _process_fault(self, f: FaultSpec) -> None:
        assert f.kill is not None
        procs = await asyncio.to_thread(find, f.kill)
        if not procs:
            mine = await asyncio.to_thread(own_pid, f.kill)
            rec = self.timeline.begin(f.name, f.kind, f.target, f"{f.describe()}: no process matched",
                                      None, f.settle_s)  # fmt: skip
            why = f"{f.target} is {OWN_PROCESS}" if mine else f"no process matched {f.target}"
            self.timeline.warn(rec, f"{why} at {rec.start_s:.1f} s: nothing was signalled")
            self.timeline.end(rec, instant=True)
            return
        pids, problems = send(procs, f.signal)
        detail = f"{f.describe()}: pid {', '.join(map(str, pids))}" if pids else f.describe()
        rec = self.timeline.begin(f.name, f.kind, f.target, detail, f.for_s, f.settle_s)
        if len(procs) > MANY_MATCHES:
            self.timeline.warn(rec, f"{f.kill} matched {len(procs)} processes: every one was signalled")
        for problem in problems:
            self.timeline.warn(rec, problem)
        if f.kind == "pause":
            self._paused.update(dict.fromkeys(pids, rec))
            try:
                await (asyncio.sleep(f.for_s) if f.for_s is not None else asyncio.Event().wait())
            finally:
                self._resume(pids)
                self.timeline.end(rec)
            return
        if f.restart is None:
            self.timeline.end(rec, instant=True)
            return
        if f.for_s is not None:
            await asyncio.sleep(f.for_s)  # down for that long, then back
        else:
            self.timeline.end(rec, instant=True)  # the kill is the fault; the restart is the way back
            await asyncio.to_thread(wait_gone, pids, KILLED_WAIT_S)
        await self._restart(rec, f.restart, len(pids))
        self.timeline.end(rec)

    async def _restart(self, rec: FaultRecord, command: str, times: int) -> None:
        """``command`` once per killed process (four workers killed, four brought back)."""
        started: list[subprocess.Popen[bytes]] = []
        for _ in range(times):
            try:
                started.append(start_command(command))
            except OSError as exc:
                self.timeline.warn(rec, f"restart {command!r} could not start: {exc.strerror}")
                break
        if not started:
            return
        self._restarted.extend(started)
        rec.detail += f"; restarted: {command} (pid {', '.join(str(p.pid) for p in started)})"
        await asyncio.sleep(RESTART_CHECK_S)
        for proc in started:
            code = proc.poll()
            if code is not None and code != 0:
                self.timeline.warn(
                    rec, f"restart {command!r} (pid {proc.pid}) exited with status {code} at once"
                )

    async def _run_fault(self, f: FaultSpec) -> None:
        rec = self.timeline.begin(f.name, "run", f.target, f.describe(), None, f.settle_s)
        try:
            result = await run_command(f.target)
        except asyncio.CancelledError:
            if not self.timeline.over:
                self.timeline.warn(rec, "still running when the run ended: stopped")
            raise
        except OSError as exc:
            self.timeline.warn(rec, f"could not start: {exc.strerror}")
            self.timeline.end(rec)
            return
        rec.detail += f" (pid {result.pid}, exit status {result.returncode})"
        self._run_groups.append(result.pid)  # its own session: what it left running goes at the end
        if result.draining is not None:
            self._draining.append(result.draining)
        if result.returncode != 0:
            said = f": {result.last_line}" if result.last_line else ""
            self.timeline.warn(rec, f"the command exited with status {result.returncode}{said}")
        self.timeline.end(rec)

    # Before and after -------------------------------------------------------------------------------

    async def _check_targets(self) -> None:
        """Once ``setup()`` is done, every kill target must match a process: a typo would otherwise only
        show as warnings once the run is under way. A target first killed after a ``run:`` or
        ``restart:`` fault may be started by it: not checked (a warning if it matches nothing then)."""
        seen: set[str] = set()
        for occ in self.occurrences:
            f = occ.fault
            if f.kill is None or f.target in seen:
                continue
            seen.add(f.target)
            if any(
                o.start_s <= occ.start_s and o.fault is not f and (o.fault.kind == "run" or o.fault.restart)
                for o in self.occurrences
            ):
                continue
            found = await asyncio.to_thread(find, f.kill)
            if not found and await asyncio.to_thread(own_pid, f.kill):
                raise BadInput(f"{f.where}.kill: {f.target} is {OWN_PROCESS}")
            if not found:
                raise BadInput(
                    f"{f.where}.kill: no process matches {f.target} now (checked once setup() was done): "
                    "start it first, or fix the target (process:NAME, pid:N, cmd:SUBSTRING)"
                )
            if len(found) > MANY_MATCHES and not f.kill.random and self._runner is not None:
                self._runner.warnings.append(
                    f"{f.where}.kill: {f.target} matches {len(found)} processes now: each kill signals "
                    "every match (write 'random ' before it to act on one)"
                )

    def _resume(self, pids: list[int]) -> None:
        """SIGCONT to ``pids``; one that ended while paused is a warning on its fault."""
        self._warn_paused_gone(pids)
        resume(pids)
        for pid in pids:
            self._paused.pop(pid, None)

    def _warn_paused_gone(self, pids: list[int] | None = None) -> None:
        for pid in ended(list(self._paused) if pids is None else pids):
            rec = self._paused.pop(pid, None)
            if rec is not None:
                self.timeline.warn(rec, f"pid {pid} ended while paused, before its SIGCONT")

    async def _close_proxies(self) -> None:
        proxies, self.proxies = self.proxies, {}
        for proxy in proxies.values():
            with contextlib.suppress(Exception):
                proxy.clear()
                await proxy.close()


def _settings(on: Sequence[FaultSpec]) -> ProxyFaults:
    """What a proxy injects while the faults ``on`` are on: their settings combined (contradictions were
    refused at load); two faults that only touch at one instant, the later wins."""
    merged = NO_FAULTS
    for f in on:
        if f.proxy is None:
            continue
        try:
            merged = combine(merged, f.proxy)
        except BadFault:
            merged = f.proxy
    return merged

"""Building and running a run in a fresh event loop: the one-liner's driver from a RunSpec, a scenario
plan's load, the descriptor checks before either, and the entry points ``execute``/``execute_plan``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from loadpulse.bounds import check_fd_limit, fd_room
from loadpulse.engine.closed import ClosedLoad
from loadpulse.engine.driver import LoadDriver, PreparedRequest, Timeouts
from loadpulse.engine.open import OpenLoad
from loadpulse.engine.run import Runner, Service, SnapshotListener
from loadpulse.engine.watchdog import RunInterrupted
from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import Aggregate
from loadpulse.metrics.cardinality import MAX_CUSTOM, MAX_TAGS
from loadpulse.metrics.recorder import Recorder
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.protocols.grpc import ONE_LINER_ENV
from loadpulse.protocols.http.connect import Endpoint, make_ssl_context
from loadpulse.protocols.http.request import encode_request
from loadpulse.protocols.http.url import parse_url, resolve
from loadpulse.results.outcome import RunOutcome
from loadpulse.scenario.model import Plan
from loadpulse.spec import RunSpec, request_name
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.named import kept_names

if TYPE_CHECKING:
    from loadpulse.engine.h2_driver import H2Load
    from loadpulse.engine.pipeline_check import PipelineCheck


def build_driver(spec: RunSpec, recorder: Recorder) -> LoadDriver | H2Load:
    """Validate what only the network can tell (name resolution) and wire the driver for the spec."""
    if spec.http2:
        from loadpulse.engine.h2_driver import build_h2_driver

        return build_h2_driver(spec, recorder)
    targets = [parse_url(r.url) for r in spec.requests]
    origin = targets[0].origin
    for req, target in zip(spec.requests, targets, strict=True):
        if target.origin != origin:
            raise BadInput(
                f"request {req.url!r} is on another origin than {spec.request.url!r}; "
                "one run targets one origin"
            )
    family, address = resolve(origin)
    endpoint = Endpoint(
        origin=origin,
        family=family,
        address=address,
        ssl_context=make_ssl_context(spec.insecure) if origin.tls else None,
        connect_timeout_s=spec.timeouts.connect_s,
    )
    prepared = [
        PreparedRequest(
            request_name(req),
            encode_request(req.method, target.path, origin.host_header, req.headers, req.body),
            head=req.method == "HEAD",
            weight=req.weight,
        )
        for req, target in zip(spec.requests, targets, strict=True)
    ]
    t = spec.timeouts
    timeouts = Timeouts(connect_s=t.connect_s, read_s=t.read_s, total_s=t.total_s)
    load = spec.load
    if load.rate is not None:
        return OpenLoad(
            endpoint,
            prepared,
            recorder,
            timeouts,
            rate=load.rate,
            max_in_flight=min(load.effective_max_in_flight, fd_room()),
            requests=load.requests,
            warm_connections=load.connections,
        )
    return ClosedLoad(endpoint, prepared, recorder, timeouts, load.effective_connections, load.requests)


def event_loop_runner() -> asyncio.Runner:
    """An asyncio.Runner on uvloop where available (the fast path), the default loop otherwise."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def spec_runner(
    spec: RunSpec,
    listener: SnapshotListener | None = None,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
    handle_signals: bool = False,
) -> Runner:
    load = spec.load
    warnings = _check_descriptors(spec)
    recorder = Recorder()
    runner = Runner(
        build_driver(spec, recorder),
        recorder,
        duration_s=load.effective_duration_s,
        grace_s=spec.grace_s,
        interval_s=spec.interval_s,
        listener=listener,
        sampler=sampler,
        services=services,
        on_outcome=on_outcome,
        handle_signals=handle_signals,
    )
    runner.warnings.extend(warnings)
    runner.spec = spec
    return runner


def _check_descriptors(spec: RunSpec) -> list[str]:
    """Refuse connections the fd limit cannot hold (before any is opened); in the open model lower the
    in-flight cap to what it can hold, with a warning. Returns the warnings."""
    load = spec.load
    try:
        check_fd_limit(load.effective_connections, f"-c {load.effective_connections:,}")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if not load.open_model:
        return []
    room = fd_room()
    if load.effective_max_in_flight <= room:
        check_fd_limit(load.effective_max_in_flight, "--max-in-flight")
        return []
    check_fd_limit(room, "--max-in-flight")
    return [
        f"--max-in-flight {load.effective_max_in_flight:,} lowered to {room:,}: the file descriptor limit "
        "(ulimit -n) allows no more connections; arrivals beyond it are counted as dropped"
    ]


def pipeline_check(plan: Plan) -> PipelineCheck | None:
    """The run's pipeline check, its sinks answering (BadInput before the load when one does not)."""
    if plan.pipeline is None:
        return None
    from loadpulse.engine.pipeline_check import PipelineCheck

    check = PipelineCheck(plan.pipeline)
    try:
        check.check()
    except BaseException:
        check.close()
        raise
    return check


def share_cap(cap: int, share: float) -> int:
    """A worker's part of a cardinality cap (at least 1): the workers' parts add up to at most ``cap``."""
    return cap if share >= 1.0 else max(1, int(cap * share))


def plan_runner(
    plan: Plan,
    listener: SnapshotListener | None = None,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
    handle_signals: bool = False,
    on_drain: Callable[[Aggregate, float], None] | None = None,
    cap_share: float = 1.0,
) -> Runner:
    """``cap_share``: a worker's part of the run (``--workers``), which its name caps are cut to so that
    the whole run keeps no more names apart than one process would."""
    from loadpulse.engine.scenario_load import ScenarioLoad

    try:
        if ONE_LINER_ENV not in plan.env:  # `loadpulse grpc`: its VUs share a channel, no fd each
            check_fd_limit(plan.peak_vus, f"{plan.peak_vus:,} VUs")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    # Names the thresholds are about keep their own entries past the cardinality caps (they would read
    # "no data" otherwise); the expressions were checked when the plan was built.
    thresholds = parse_thresholds(plan.thresholds, plan.metrics)
    recorder = Recorder(
        max_names=share_cap(plan.max_names, cap_share),
        max_tags=share_cap(MAX_TAGS, cap_share),
        max_custom=share_cap(MAX_CUSTOM, cap_share),
        keep=kept_names(thresholds, plan.metrics),
    )
    pipeline = pipeline_check(plan)
    load = ScenarioLoad(plan, recorder, tracker=pipeline.tracker if pipeline is not None else None)
    runner = Runner(
        load,
        recorder,
        duration_s=None,  # executors end by themselves (time, budget, graceful stop)
        grace_s=plan.grace_s,
        interval_s=plan.interval_s,
        listener=listener,
        finished_reason="completed",
        sampler=sampler,
        services=services,
        on_outcome=on_outcome,
        planned_end_s=plan.latest_end_s,
        stall_end_s=plan.planned_s,
        setup_timeout_s=plan.setup_timeout_s,
        handle_signals=handle_signals,
        pipeline=pipeline,
        on_drain=on_drain,
    )
    load.attach(runner.watchdog)
    runner.plan = plan
    return runner


def execute(
    spec: RunSpec,
    listener: SnapshotListener | None = None,
    handle_signals: bool = True,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> RunOutcome:
    """Run ``spec`` to completion in a fresh event loop. SIGINT/SIGTERM/SIGHUP stop it gracefully."""
    return execute_runner(lambda: spec_runner(spec, listener, sampler, services, on_outcome, handle_signals))


def execute_plan(
    plan: Plan,
    listener: SnapshotListener | None = None,
    handle_signals: bool = True,
    sampler: ProbeSampler | None = None,
    services: Sequence[Service] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
    on_drain: Callable[[Aggregate, float], None] | None = None,
) -> RunOutcome:
    """Run a scenario plan to completion in a fresh event loop. SIGINT/SIGTERM/SIGHUP stop it gracefully
    (during ``setup()`` too: the load then never starts). ``on_drain``: see :class:`Runner`."""
    return execute_runner(
        lambda: plan_runner(plan, listener, sampler, services, on_outcome, handle_signals, on_drain)
    )


def execute_runner(make: Callable[[], Runner]) -> RunOutcome:
    """Run the Runner ``make`` builds (inside the new event loop) to completion."""
    made: list[Runner] = []

    async def main() -> RunOutcome:
        made.append(make())
        return await made[0].run()

    with event_loop_runner() as loop_runner:
        try:
            return loop_runner.run(main())
        except RunInterrupted:
            # Raised into code that blocked the loop and carried out of the main task: keep what was
            # measured up to here.
            if not made:
                raise
            return made[0].salvage()

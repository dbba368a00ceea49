"""`loadpulse demo`: the demo pipeline plus the bundled demo scenario against it, in one command, with the
pipeline check attached: every message the scenario sends is tracked and looked up in the target's SQLite
database, so the verdict covers loss, duplicates, stuck messages and how fairly the workers shared them."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from loadpulse.bounds import spread_over
from loadpulse.cli.console import stderr_console
from loadpulse.cli.run import make_options, plan_of
from loadpulse.cli.run_options import Flags, with_run_options
from loadpulse.cli.runner import run_and_report
from loadpulse.cli.target import (
    DuplicateRateOpt,
    ErrorRateOpt,
    LatencyOpt,
    LossRateOpt,
    SlowWorkerOpt,
    StallEveryOpt,
    StallForOpt,
    StopWorkerOpt,
    StuckRateOpt,
    check_workers,
    knob_args,
    make_knobs,
)
from loadpulse.cli.worker_options import (
    MAX_WORKERS,
    AbortOnLossOpt,
    ClusterOpt,
    ReserveCoresOpt,
    WorkersOpt,
    cluster_session,
    worker_count,
    worker_setup,
)
from loadpulse.demo.store import sink_spec
from loadpulse.engine.ray_cluster import RayCluster, parse_cluster
from loadpulse.errors import BadInput
from loadpulse.thresholds.declared import parse_thresholds

DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "demo" / "scenario.py"

DEMO_THRESHOLDS = (
    "pipeline.lost.count == 0",
    "pipeline.duplicates.count == 0",
    "pipeline.stuck.count == 0",
    "pipeline.fairness < 20%",
)
"""The demo's verdict: every accepted message stored once, none stuck, the workers sharing them evenly."""

DEMO_DRAIN_TIMEOUT = "5s"
"""The demo's workers store a message within ~50 ms: waiting 30 s (the default) for a lost one is too long."""
DEMO_STUCK_AFTER = "2s"


@with_run_options
def demo(
    duration: Annotated[str, typer.Option("-d", "--duration", help="How long to run the load.")] = "10s",
    vus: Annotated[int, typer.Option("--vus", "-c", help="Virtual users (each keeps one connection).")] = 20,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="A profile or preset instead of constant VUs.")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show-scenario", help="Print the bundled scenario file's path and exit.")
    ] = False,
    target_workers: Annotated[
        int,
        typer.Option("--target-workers", help="Worker tasks in the demo target storing the queued messages."),
    ] = 4,
    latency_ms: LatencyOpt = 0.0,
    error_rate: ErrorRateOpt = 0.0,
    stall_every: StallEveryOpt = 0.0,
    stall_for: StallForOpt = 0.0,
    loss_rate: LossRateOpt = 0.0,
    duplicate_rate: DuplicateRateOpt = 0.0,
    stuck_rate: StuckRateOpt = 0.0,
    slow_worker_ms: SlowWorkerOpt = 0.0,
    stop_worker: StopWorkerOpt = "0s",
    drain_timeout: Annotated[
        str,
        typer.Option(
            "--drain-timeout", help="After the load, how long to wait for every message to be stored."
        ),
    ] = DEMO_DRAIN_TIMEOUT,
    stuck_after: Annotated[
        str,
        typer.Option(
            "--stuck-after", help="A message still 'running' this long after it was stored is stuck."
        ),
    ] = DEMO_STUCK_AFTER,
    workers: WorkersOpt = None,
    reserve_cores: ReserveCoresOpt = None,
    abort_on_worker_loss: AbortOnLossOpt = False,
    cluster: ClusterOpt = None,
    *,
    flags: Flags,
) -> int:
    """Start the embedded demo pipeline on a free port, run the bundled demo scenario, check what reached its
    database (lost, duplicated, stuck, worker fairness) and print the summary and the verdict. The knobs
    make the target misbehave, each failing one verdict."""
    from loadpulse.demo.server import demo_target

    if show:
        typer.echo(str(DEMO_SCENARIO))
        return 0
    check_workers(target_workers, "--target-workers")
    if cluster is not None:
        parse_cluster(cluster)  # a malformed address is said before anything else
        workers = workers or "auto"
    # A wrong count is said before the target starts; a cluster's CPUs are known once connected.
    processes = worker_count(workers, reserve_cores, (MAX_WORKERS, MAX_WORKERS) if cluster else None)
    knobs = make_knobs(
        latency_ms,
        error_rate,
        stall_every,
        stall_for,
        loss_rate,
        duplicate_rate,
        stuck_rate,
        slow_worker_ms,
        stop_worker,
    )
    err = stderr_console()
    with tempfile.TemporaryDirectory(prefix="loadpulse-demo-") as tmp, contextlib.ExitStack() as stack:
        db = Path(tmp) / "messages.db"
        # The plan is checked (durations, profile, thresholds) before the target starts: bad input is quick.
        options = make_options(
            profile=profile,
            duration=duration if profile is None else None,
            vus=vus if profile is None else None,
            base_url="http://127.0.0.1:1",  # replaced by the target's own once it listens
            thresholds=flags["threshold"],
            sink=[sink_spec(db)],
            drain_timeout=drain_timeout,
            stuck_after=stuck_after,
        )
        with spread_over(processes):  # per-process bounds are for each worker's part
            plan = plan_of(str(DEMO_SCENARIO), options)
        ray_cluster = stack.enter_context(cluster_session(cluster, str(DEMO_SCENARIO)))
        if ray_cluster is not None:
            _check_nodes(ray_cluster)
        # The split is checked before the target starts too (more workers than VUs is bad input).
        worker_setup(
            str(DEMO_SCENARIO), options, plan, workers, reserve_cores, abort_on_worker_loss, ray_cluster
        )
        assert plan.pipeline is not None
        # The target's workers are known: one that stores nothing counts against fairness too.
        pipeline = dataclasses.replace(plan.pipeline, workers=target_workers)
        # The demo's own are judged on the drained result: --abort-on-fail applies to the -t ones (a
        # pipeline figure has no data before the first poll, which an abort would read as a failure).
        thresholds = [
            *parse_thresholds(DEMO_THRESHOLDS, plan.metrics, False),
            *parse_thresholds(plan.thresholds, plan.metrics, flags["abort_on_fail"]),
        ]
        args = ["--db", str(db), "--workers", str(target_workers), *knob_args(knobs)]
        with demo_target(*args) as base_url:
            plan = dataclasses.replace(plan, base_url=base_url, pipeline=pipeline)
            # Workers build their plan from the file and the options: they need the target's address.
            setup = worker_setup(
                str(DEMO_SCENARIO),
                dataclasses.replace(options, base_url=base_url),
                plan,
                workers,
                reserve_cores,
                abort_on_worker_loss,
                ray_cluster,
            )
            if not flags["quiet"]:
                count = f"{target_workers} worker{'s' * (target_workers != 1)}"
                err.print(
                    f"demo target up at {base_url} (loopback only): {count} storing "
                    f"messages into SQLite; running {DEMO_SCENARIO.name} (copy it from "
                    "`loadpulse demo --show-scenario`) and checking what reached the database…",
                    highlight=False,
                )
            run_flags = {**flags, "run_name": flags["run_name"] or "demo"}
            return run_and_report(plan, run_flags, thresholds, workers=setup)


def _check_nodes(cluster: RayCluster) -> None:
    """The demo's target listens on 127.0.0.1 of this machine: actors on another machine cannot reach it."""
    remote = cluster.remote_nodes()
    if remote:
        raise BadInput(
            f"demo --cluster: the demo target listens on 127.0.0.1 of this machine, out of reach of the "
            f"cluster's node{'s' * (len(remote) > 1)} {', '.join(remote[:3])}; run `loadpulse target demo "
            "--host ADDRESS` where the nodes reach it and `loadpulse run FILE --cluster ...` against it"
        )

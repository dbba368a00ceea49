"""`--workers N|auto`, `--reserve-cores`, `--abort-on-worker-loss`, `--cluster`: a run over local processes
or the actors of a Ray cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

import typer

from loadpulse.bounds import check_fd_limit
from loadpulse.engine.ray_cluster import RayCluster, connect, parse_cluster
from loadpulse.engine.ray_launch import RayLauncher
from loadpulse.engine.spec_part import SpecRef, cut_spec
from loadpulse.engine.worker_launch import Launcher
from loadpulse.errors import BadInput
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.protocols.grpc import ONE_LINER_ENV
from loadpulse.scenario.model import Plan
from loadpulse.scenario.plan_ref import PlanRef, segment_plan
from loadpulse.scenario.source import RunOptions
from loadpulse.spec import RunSpec

WorkersOpt = Annotated[
    str | None,
    typer.Option(
        "--workers",
        help="Run the load in N worker processes (auto: one per usable core, less --reserve-cores); "
        "their numbers are merged every interval, thresholds and abort judge the whole. 1: one process.",
        metavar="N|auto",
        show_default=False,
    ),
]
ReserveCoresOpt = Annotated[
    int | None,
    typer.Option(
        "--reserve-cores",
        help="With --workers auto: cores left free (for the target, or the coordinator).",
        show_default=False,
    ),
]
AbortOnLossOpt = Annotated[
    bool,
    typer.Option(
        "--abort-on-worker-loss",
        help="A worker that dies or goes silent aborts the run (exit 3) instead of the rest going on.",
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Run the workers as actors of a Ray cluster (needs loadpulse[ray]): ray (a local Ray, started "
        "and stopped for the run), auto (the cluster this machine is part of), ray://HOST:PORT (Ray "
        "client) or HOST:PORT (a head's address). --workers defaults to auto: the cluster's free CPUs.",
        metavar="ray|auto|ADDRESS",
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    count: int
    ref: PlanRef | SpecRef
    abort_on_loss: bool = False
    launcher: Launcher | None = None
    """How the workers start: None, local processes."""


MAX_WORKERS = 1024
"""Worker processes on one machine: far past any core count (a process per core is what pays)."""


def worker_count(workers: str | None, reserve: int | None, cpus: tuple[int, int] | None = None) -> int:
    """The number of worker processes ``--workers`` and ``--reserve-cores`` ask for; ``cpus``: a Ray
    cluster's free CPUs and all its CPUs, which auto counts and a number is held to."""
    if reserve is not None and (workers or "").strip().lower() != "auto":
        raise BadInput("--reserve-cores applies to --workers auto only")
    if workers is None:
        return 1
    text = workers.strip().lower()
    if text == "auto":
        if reserve is not None and reserve < 0:
            raise BadInput(f"--reserve-cores must be 0 or more (got {reserve})")
        cores = cpus[0] if cpus is not None else len(os.sched_getaffinity(0))
        count = cores - (reserve or 0)
        if count < 1:
            where = "free CPUs of the Ray cluster" if cpus is not None else "usable cores"
            raise BadInput(f"--reserve-cores {reserve or 0} leaves none of the {cores} {where} for workers")
        return count
    try:
        count = int(text)
    except ValueError:
        raise BadInput(f"--workers {workers!r} is not a number or 'auto'") from None
    if count < 1:
        raise BadInput(f"--workers must be 1 or more (got {count})")
    if cpus is not None and count > cpus[0]:
        raise BadInput(
            f"--workers {count}: the Ray cluster has {cpus[0]} CPUs free ({cpus[1]} in all), one per "
            f"worker; ask for {cpus[0]} or fewer"
        )
    if count > MAX_WORKERS:
        # Checked before any worker's part is made: a million parts took minutes to refuse.
        raise BadInput(
            f"--workers {count:,} is more than one machine runs (at most {MAX_WORKERS:,} processes)"
        )
    return count


def check_abort_on_loss(workers: str | None, abort_on_loss: bool) -> None:
    """``--abort-on-worker-loss`` without workers would be silently meaningless: refused, as
    ``--reserve-cores`` without ``auto`` is (``--cluster`` implies ``--workers auto``)."""
    if abort_on_loss and workers is None:
        raise BadInput("--abort-on-worker-loss applies to --workers (or --cluster) only")


def worker_setup(
    file: str,
    options: RunOptions,
    plan: Plan,
    workers: str | None,
    reserve: int | None,
    abort_on_loss: bool,
    cluster: RayCluster | None = None,
) -> WorkerSetup | None:
    """The workers of the run, checked against its plan; None for a single-process run. ``cluster``: they
    are actors of that Ray cluster (one of them is still run there, not here)."""
    check_abort_on_loss(workers, abort_on_loss)
    count = worker_count(workers, reserve, cluster.cpus() if cluster is not None else None)
    auto = (workers or "").strip().lower() == "auto"
    # auto asks for as many as are useful: never more than the plan can give each some load
    while auto and count > 1 and _empty_worker(plan, count) is not None:
        count -= 1
    if count == 1 and cluster is None:
        return None
    empty = _empty_worker(plan, count)
    if empty is not None:
        raise BadInput(
            f"--workers {count}: worker {empty + 1} would get no load (the plan runs {plan.peak_vus:,} "
            f"VU{'' if plan.peak_vus == 1 else 's'} at its peak); use fewer workers"
        )
    _check_parts(plan, count)
    launcher = RayLauncher(cluster, file) if cluster is not None else None
    return WorkerSetup(count, PlanRef.of(file, options), abort_on_loss, launcher)


@contextmanager
def cluster_session(cluster: str | None, file: str | None) -> Iterator[RayCluster | None]:
    """Connected to the ``--cluster`` (None without one) for the run, the scenario's folder shipped to
    its nodes (``file`` None: the one-liner, nothing shipped); disconnected (a local Ray stopped) at the
    end."""
    if cluster is None:
        yield None
        return
    session = connect(parse_cluster(cluster), file)
    try:
        yield session
    finally:
        session.close()


def _empty_worker(plan: Plan, count: int) -> int | None:
    """The first of ``count`` workers whose part of ``plan`` is empty, or None."""
    for i in range(count):
        part = WorkerPart.even(i, count)
        if segment_plan(plan, part.segment, part.sequence) is None:
            return i
    return None


def _check_parts(plan: Plan, count: int) -> None:
    """Each worker's part against one process's limits (the whole may exceed them: it is split), before
    any worker starts: the largest part's VUs must fit the file descriptor limit."""
    if ONE_LINER_ENV in plan.env:
        return  # `loadpulse grpc`: its VUs share one channel per process, no descriptor each
    peaks = []
    for i in range(count):
        part = WorkerPart.even(i, count)
        cut = segment_plan(plan, part.segment, part.sequence)
        peaks.append(cut.peak_vus if cut is not None else 0)
    i = max(range(count), key=peaks.__getitem__)
    try:
        check_fd_limit(peaks[i], f"worker {i + 1} of {count} (with {peaks[i]:,} VUs)")
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def spec_worker_setup(
    spec: RunSpec,
    workers: str | None,
    reserve: int | None,
    abort_on_loss: bool,
    cluster: RayCluster | None = None,
) -> WorkerSetup | None:
    """The workers of a one-liner run (``loadpulse http --workers``); None for a single process.
    ``cluster``: they are actors of that Ray cluster (one of them is still run there, not here)."""
    check_abort_on_loss(workers, abort_on_loss)
    count = worker_count(workers, reserve, cluster.cpus() if cluster is not None else None)
    auto = (workers or "").strip().lower() == "auto"
    while auto and count > 1 and _empty_spec_worker(spec, count) is not None:
        count -= 1
    if count == 1 and cluster is None:
        return None
    empty = _empty_spec_worker(spec, count)
    if empty is not None:
        load = spec.load
        conns = load.effective_connections
        if load.open_model:
            what = f"-n {load.requests:,} requests"
        elif load.requests is not None and load.requests < load.connections:
            # -c is lowered to -n (no connection without a request): say which one binds.
            what = f"{conns:,} connection{'s' if conns != 1 else ''}: -n {load.requests:,} is below -c"
        else:
            what = f"{conns:,} connection{'s' if conns != 1 else ''}"
        raise BadInput(
            f"--workers {count}: worker {empty + 1} would get no load (the run has {what}); use fewer"
        )
    parts = [cut_spec(spec, WorkerPart.even(i, count)) for i in range(count)]
    largest = max(p.load.effective_connections for p in parts if p is not None)
    try:  # each worker's part against one process's limit (the whole may exceed it: it is split)
        check_fd_limit(largest, f"-c {spec.load.connections:,} over {count} workers ({largest:,} in one)")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    launcher = RayLauncher(cluster, None) if cluster is not None else None
    return WorkerSetup(count, SpecRef(spec), abort_on_loss, launcher)


def _empty_spec_worker(spec: RunSpec, count: int) -> int | None:
    for i in range(count):
        if cut_spec(spec, WorkerPart.even(i, count)) is None:
            return i
    return None

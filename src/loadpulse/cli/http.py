"""`loadpulse http URL`: the wrk/hey-style one-liner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from loadpulse.bounds import spread_over
from loadpulse.cli.http_tracked import tracked_plan, tracking_of
from loadpulse.cli.pipeline_options import DrainTimeoutOpt, SinkOpt, StuckAfterOpt, pipeline_durations
from loadpulse.cli.run_options import Flags, with_run_options
from loadpulse.cli.runner import run_and_report
from loadpulse.cli.worker_options import (
    MAX_WORKERS,
    AbortOnLossOpt,
    ClusterOpt,
    ReserveCoresOpt,
    WorkersOpt,
    check_abort_on_loss,
    cluster_session,
    spec_worker_setup,
    worker_count,
)
from loadpulse.engine.ray_cluster import parse_cluster
from loadpulse.errors import BadInput
from loadpulse.protocols.http.request import parse_header
from loadpulse.scenario.pipeline_spec import with_command_line
from loadpulse.spec import DEFAULT_DURATION_S, METHODS, LoadSpec, RequestSpec, RunSpec, TimeoutSpec, validated
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.units import parse_duration

H2_AUTO_CLUSTER_CONNECTIONS = 4
"""``--h2 --cluster ... --workers auto`` without -c: the actor count is only known once connected."""


def positive(value: float | None, flag: str) -> None:
    if value is not None and value != value:
        raise BadInput(f"{flag} must be a number, not nan")
    if value is not None and value <= 0:
        raise BadInput(f"{flag} must be greater than zero (got {value:g})")


def read_body(body: str | None, json_body: str | None) -> tuple[bytes | None, str | None]:
    """(body bytes, implied content type) from -b/--body or --json-body."""
    if body is not None and json_body is not None:
        raise BadInput("give either --body or --json-body, not both")
    if json_body is not None:
        text = json_body
        if json_body.startswith("@"):
            text = _read_file(json_body[1:], "--json-body").decode("utf-8", errors="replace")
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"--json-body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        return text.encode("utf-8"), "application/json"
    if body is None:
        return None, None
    if body.startswith("@"):
        return _read_file(body[1:], "--body"), None
    return body.encode("utf-8"), None


def _read_file(path: str, flag: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{flag} file {path!r} does not exist") from None
    except OSError as exc:
        raise BadInput(f"{flag} file {path!r} cannot be read: {exc.strerror}") from None


@with_run_options
def http(
    url: Annotated[str, typer.Argument(help="Absolute http:// or https:// URL to load.", show_default=False)],
    requests: Annotated[
        int | None, typer.Option("-n", "--requests", help="Stop after this many requests.")
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option(
            "-d",
            "--duration",
            help=f"Stop after this long (30s, 5m, 1h). Default {DEFAULT_DURATION_S:g}s when -n is not given.",
        ),
    ] = None,
    connections: Annotated[
        int | None,
        typer.Option(
            "-c",
            "--connections",
            help="Concurrent connections (closed model), or connections opened up front with --rate. "
            "Default 50; with --h2 one per worker process (each carries --streams-per-connection streams).",
            show_default=False,
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help="Open model: start this many requests per second whatever the target "
            "does; latency is then measured from each intended start.",
        ),
    ] = None,
    max_in_flight: Annotated[
        int | None,
        typer.Option(
            "--max-in-flight",
            help="With --rate: most requests outstanding at once; arrivals "
            "beyond it are counted as dropped. Default max(connections, 1000).",
        ),
    ] = None,
    method: Annotated[
        str | None, typer.Option("-m", "--method", help="HTTP method. Default GET, or POST with a body.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("-H", "--header", help="'Name: value' header; repeatable.")
    ] = None,
    body: Annotated[
        str | None, typer.Option("-b", "--body", help="Request body: a string, or @file to send a file.")
    ] = None,
    json_body: Annotated[
        str | None,
        typer.Option("--json-body", help="JSON request body (validated; sets Content-Type), or @file."),
    ] = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Give up on a request after this long (also the read timeout).")
    ] = "10s",
    connect_timeout: Annotated[
        str, typer.Option("--connect-timeout", help="Give up on a connection attempt after this long.")
    ] = "5s",
    grace: Annotated[
        str, typer.Option("--grace", help="At the end, how long in-flight requests may still finish.")
    ] = "2s",
    name: Annotated[
        str | None, typer.Option("--name", help="Name the request's stats are kept under.")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Skip TLS certificate verification.")
    ] = False,
    h2: Annotated[
        bool,
        typer.Option(
            "--h2",
            help="Speak HTTP/2: prior knowledge (h2c) on http://, TLS with ALPN h2 on https://. Requests "
            "are multiplexed as streams over the -c connections.",
        ),
    ] = False,
    streams_per_connection: Annotated[
        int | None,
        typer.Option(
            "--streams-per-connection",
            help="With --h2: streams in flight per connection (default 100; lowered to the server's "
            "SETTINGS_MAX_CONCURRENT_STREAMS). Closed model: -c x this many requests in flight.",
        ),
    ] = None,
    sink: SinkOpt = None,
    track_from: Annotated[
        str | None,
        typer.Option(
            "--track-from",
            help="With --sink: track the id each response gives at this JSON path ('$.id'), like "
            "ctx.track(id, since=response). Or put {{ track }} in the URL, a header or the body: each "
            "request then carries a fresh tracked id.",
            metavar="PATH",
        ),
    ] = None,
    drain_timeout: DrainTimeoutOpt = None,
    stuck_after: StuckAfterOpt = None,
    workers: WorkersOpt = None,
    reserve_cores: ReserveCoresOpt = None,
    abort_on_worker_loss: AbortOnLossOpt = False,
    cluster: ClusterOpt = None,
    *,
    flags: Flags,
) -> int:
    """Load one URL, wrk-style: closed model with -c connections, or open model with --rate.

    With --sink the one-liner checks the pipeline behind the URL (each request's item tracked through \
{{ track }} or --track-from) and runs through the scenario engine instead of the fast path: the same \
load, at the scenario engine's (lower) top speed."""
    if cluster is not None:
        parse_cluster(cluster)  # a malformed address is said before anything else
        workers = workers or "auto"
    # A wrong count is said first; a cluster's CPUs are known once connected.
    processes = worker_count(workers, reserve_cores, (MAX_WORKERS, MAX_WORKERS) if cluster else None)
    thresholds = parse_thresholds(flags["threshold"] or [], abort_on_fail=flags["abort_on_fail"])
    drain_s, stuck_s = pipeline_durations(drain_timeout, stuck_after)
    pipeline = with_command_line(None, tuple(sink or ()), drain_s, stuck_s)
    positive(requests, "-n/--requests")
    positive(connections, "-c/--connections")
    if connections is None:
        # HTTP/2 multiplexes: 50 connections of 100 streams would be 5,000 requests in flight, latency
        # that measures loadpulse's own queue. One connection per process, as h2load's -c 1 -m 100.
        auto_on_cluster = cluster is not None and (workers or "").strip().lower() == "auto"
        connections = (H2_AUTO_CLUSTER_CONNECTIONS if auto_on_cluster else processes) if h2 else 50
    positive(rate, "--rate")
    positive(max_in_flight, "--max-in-flight")
    positive(streams_per_connection, "--streams-per-connection")
    if streams_per_connection is not None and not h2:
        raise BadInput("--streams-per-connection only applies with --h2")
    duration_s = parse_duration(duration, "-d/--duration") if duration is not None else None
    headers = [parse_header(h) for h in header or []]
    payload, content_type = read_body(body, json_body)
    if content_type and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", content_type))
    tracking = tracking_of(url, headers, payload, track_from, pipeline)  # checks the URL too
    verb = (method or ("POST" if payload is not None else "GET")).upper()
    if verb not in METHODS:
        raise BadInput(f"unknown method {verb!r}: use one of {', '.join(METHODS)}")
    total_s = parse_duration(timeout, "--timeout")
    # Per-process bounds are for each worker's part, checked as it is cut (the whole may exceed them).
    with spread_over(processes):
        spec = validated(
            RunSpec,
            requests=(
                validated(RequestSpec, url=url, method=verb, headers=tuple(headers), body=payload, name=name),
            ),
            load=validated(
                LoadSpec,
                connections=connections,
                requests=requests,
                duration_s=duration_s,
                rate=rate,
                max_in_flight=max_in_flight,
            ),
            timeouts=validated(
                TimeoutSpec,
                connect_s=parse_duration(connect_timeout, "--connect-timeout"),
                read_s=total_s,
                total_s=total_s,
            ),
            insecure=insecure,
            grace_s=parse_duration(grace, "--grace"),
            http2=h2,
            **({"streams_per_connection": streams_per_connection} if streams_per_connection else {}),
        )
    if h2 and pipeline is not None:
        raise BadInput("--h2 with --sink is not supported yet: put the request in a scenario file "
                       "(http2 = True, ctx.track) and use loadpulse run")  # fmt: skip
    if tracking is not None and pipeline is not None:
        check_abort_on_loss(workers, abort_on_worker_loss)
        if cluster is not None or worker_count(workers, reserve_cores) > 1:
            flag = "--cluster" if cluster is not None else "--workers"
            raise BadInput(
                f"{flag} with --sink on the one-liner is not supported yet: put the request in a scenario "
                f"file (ctx.track) and use loadpulse run {flag}"
            )
        plan = tracked_plan(spec, url, tracking, pipeline, tuple(flags["threshold"] or ()))
        return run_and_report(plan, flags, thresholds)
    with cluster_session(cluster, None) as ray_cluster:
        setup = spec_worker_setup(spec, workers, reserve_cores, abort_on_worker_loss, ray_cluster)
        return run_and_report(spec, flags, thresholds, workers=setup)

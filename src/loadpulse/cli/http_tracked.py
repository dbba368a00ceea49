"""`loadpulse http URL --sink SPEC`: the one-liner with a pipeline check.

The one-liner has no script to call ``ctx.track()``, so the id travels in the request itself: each
``{{ track }}`` in the URL, a header or the body is that request's fresh tracked id (a YAML request's
``track: track``), and/or ``--track-from '$.id'`` tracks the id the response gives (``track: {from:
$.id}``). Such requests differ one from the next and their answers are read, which the fast path
(engine/driver.py: request bytes encoded once, answers never parsed) does not do. With ``--sink`` the
one-liner therefore runs as a one-step scenario through the scenario engine, the same load shape
translated to its profile; without one nothing here is used and the fast path is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loadpulse.errors import BadInput
from loadpulse.jsonpath import parse_json_path
from loadpulse.protocols.http.url import parse_url
from loadpulse.scenario.ctx import Ctx
from loadpulse.scenario.model import DEFAULT_SCENARIO, Plan, TaskDef, TaskFn
from loadpulse.scenario.pipeline_spec import PipelineSpec
from loadpulse.scenario.source import RunOptions, ScenarioSource, build_plan
from loadpulse.scenario.yaml_flow import json_or_missing, track_new, track_response
from loadpulse.scenario.yaml_track import PLACEHOLDER, placeholder_parts
from loadpulse.spec import RunSpec, request_name

SHOWN = "{{ " + PLACEHOLDER + " }}"
_SAMPLE = "lp0track0sample"
"""Stands in for an id while the URL is checked (``{{ track }}`` itself has spaces a URL may not)."""
_NEEDS_ID = (
    "--sink needs each request to carry its item: put {{ track }} in the URL, a header or the body "
    "(--json-body '{\"id\": \"{{ track }}\"}'), or give --track-from '$.id' to track the id each "
    "response gives"
)


@dataclass(frozen=True, slots=True)
class Tracking:
    """Where the one-liner's ids go: its URL, headers and body cut at each ``{{ track }}``."""

    url: str
    """The URL with a sample id in place of each placeholder: what is checked and resolved."""
    path: list[str]
    """The request target (path and query), cut at each placeholder."""
    headers: tuple[tuple[str, list[str]], ...]
    body: list[bytes] | None
    track_from: tuple[str, list[str | int]] | None
    """(--track-from as given, the parsed path), or None."""

    @property
    def fresh(self) -> bool:
        """Whether each request gets a fresh id (a ``{{ track }}`` somewhere)."""
        in_headers = any(len(parts) > 1 for _, parts in self.headers)
        return len(self.path) > 1 or in_headers or (self.body is not None and len(self.body) > 1)


def tracking_of(
    url: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    track_from: str | None,
    pipeline: PipelineSpec | None,
) -> Tracking | None:
    """How the one-liner tracks items, checked (BadInput, one line); None without ``--sink``, where
    ``{{ track }}`` and ``--track-from`` are refused rather than sent as written."""
    sample = _SAMPLE.join(placeholder_parts(url))
    target = parse_url(sample)
    netloc = urlsplit(sample).netloc
    if _SAMPLE in netloc:
        raise BadInput(f"{SHOWN} goes in the URL's path or query, not in its host")
    cut_body = (
        [part.encode("latin-1") for part in placeholder_parts(body.decode("latin-1"))] if body else None
    )
    tracking = Tracking(
        sample,
        target.path.split(_SAMPLE),
        tuple((name, placeholder_parts(value)) for name, value in headers),
        cut_body,
        (track_from, _json_path(track_from)) if track_from is not None else None,
    )
    if pipeline is None:
        if track_from is not None:
            raise BadInput("--track-from needs --sink SPEC: where the tracked items show up")
        if tracking.fresh:
            raise BadInput(f"{SHOWN} is filled in only with --sink SPEC (where the tracked items show up)")
        return None
    if not tracking.fresh and track_from is None:
        raise BadInput(_NEEDS_ID)
    return tracking


def _json_path(text: str) -> list[str | int]:
    try:
        return parse_json_path(text)
    except ValueError as exc:
        raise BadInput(f"--track-from: {exc}") from None


def tracked_plan(
    spec: RunSpec, url: str, tracking: Tracking, pipeline: PipelineSpec, thresholds: tuple[str, ...]
) -> Plan:
    """The one-liner as a one-step scenario plan: the same request, load shape, timeouts and grace."""
    req = spec.request
    parts = urlsplit(tracking.url)
    base_url = urlunsplit((parts.scheme, parts.netloc, "", "", ""))  # userinfo kept: it is redacted
    static = tuple((k, v[0]) for k, v in tracking.headers if len(v) == 1)
    templated = tuple((k, v) for k, v in tracking.headers if len(v) > 1)
    fn = _one_request(req.method, tracking, templated, request_name(req))
    source = ScenarioSource(
        path=url,
        tasks={DEFAULT_SCENARIO: [TaskDef(request_name(req), fn, 1.0, "loadpulse http")]},
        profile=_profile(spec),
        base_url=base_url,
        headers=dict(static),
        pipeline=pipeline,
    )
    options = RunOptions(
        base_url=base_url,
        insecure=spec.insecure,
        timeout_s=spec.timeouts.total_s,
        connect_timeout_s=spec.timeouts.connect_s,
        grace_s=spec.grace_s,
        extra_thresholds=thresholds,
    )
    return build_plan(source, options)


def _profile(spec: RunSpec) -> dict[str, Any]:
    """The one-liner's load as a scenario profile: -c for -d, -c sharing -n, or --rate for -d or -n."""
    load = spec.load
    stop = {"graceful_stop": spec.grace_s}
    if load.rate is not None:
        max_vus = load.effective_max_in_flight
        # -n arrivals at a steady rate: arrival k is due at k / rate, so a duration of (n - 0.5) / rate
        # takes exactly n of them, whatever the float rounding.
        duration = (load.requests - 0.5) / load.rate if load.requests else load.effective_duration_s
        return {
            "profile": "constant-rate",
            "rate": load.rate,
            "duration": duration,
            "max_vus": max_vus,
            "pre_allocated_vus": min(load.connections, max_vus),
            **stop,
        }
    if load.requests is not None:
        return {"profile": "shared-iterations", "vus": load.connections, "iterations": load.requests, **stop}
    return {"profile": "constant-vus", "vus": load.connections, "duration": load.effective_duration_s, **stop}


def _one_request(
    method: str, tracking: Tracking, templated: tuple[tuple[str, list[str]], ...], name: str
) -> TaskFn:
    """The task: a fresh id into the request where ``{{ track }}`` is, the response's id tracked."""
    path, body, track_from = tracking.path, tracking.body, tracking.track_from
    fresh = tracking.fresh
    plain_path = path[0]
    plain_body = body[0] if body else None

    async def send(ctx: Ctx) -> None:
        if fresh:
            item = track_new(ctx, SHOWN)
            r = await ctx.http.request(
                method,
                item.join(path),
                name=name,
                headers={k: item.join(v) for k, v in templated} or None,
                body=item.encode().join(body) if body else None,
            )
        else:
            r = await ctx.http.request(method, plain_path, name=name, body=plain_body)
        if track_from is not None:
            track_response(ctx, r, json_or_missing(r), track_from[1], f"--track-from {track_from[0]}")

    return send

"""What a capacity step runs: the URL's RunSpec or the scenario file's Plan, at one rate or VU count.

A URL step is the one-liner at ``--rate R`` (open model) or ``-c N`` (``--vus``); a file step replaces the
file's profiles with constant-rate at R iterations/s (or constant-vus with N VUs), keeping the rest of the
file (its thresholds, probes and pipeline)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from loadpulse.cli.runner import RunDescription
from loadpulse.cli.worker_options import WorkerSetup, spec_worker_setup, worker_setup
from loadpulse.profiles.base import OpenProfile
from loadpulse.profiles.presets import Overrides
from loadpulse.scenario.model import Plan
from loadpulse.scenario.source import RunOptions, ScenarioSource, build_plan
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec, TimeoutSpec, validated

PREALLOCATED_PER_RATE_S = 0.05
"""Open file steps pre-allocate VUs (and their connections) for iterations of up to 50 ms at the step's
rate: more are made on demand up to --max-vus, so a low step does not open hundreds of connections."""


@dataclass(frozen=True, slots=True)
class UrlTarget:
    request: RequestSpec
    timeouts: TimeoutSpec
    insecure: bool
    grace_s: float
    connections: int
    max_in_flight: int | None
    workers: str | None = None
    reserve_cores: int | None = None

    @property
    def title(self) -> str:
        return self.request.url

    def workers_at(
        self, description: RunDescription, rate: float, vus: bool, step_s: float
    ) -> WorkerSetup | None:
        assert isinstance(description, RunSpec)
        return spec_worker_setup(description, self.workers, self.reserve_cores, False)

    def at(self, rate: float, vus: bool, step_s: float, local: bool = False) -> RunDescription:
        """The step at ``rate``; ``local``: to run in this process even with --workers (a probe)."""
        if vus:
            load = validated(LoadSpec, connections=int(rate), duration_s=step_s)
        else:
            load = validated(
                LoadSpec,
                connections=min(self.connections, max(1, math.ceil(rate))),
                duration_s=step_s,
                rate=rate,
                max_in_flight=self.max_in_flight,
            )
        return validated(
            RunSpec,
            requests=(self.request,),
            load=load,
            timeouts=self.timeouts,
            insecure=self.insecure,
            grace_s=self.grace_s,
        )


@dataclass(frozen=True, slots=True)
class FileTarget:
    source: ScenarioSource
    options: RunOptions
    max_vus: int | None
    grace_s: float
    workers: str | None = None
    reserve_cores: int | None = None

    @property
    def title(self) -> str:
        return self.source.path

    def options_at(self, rate: float, vus: bool, step_s: float) -> RunOptions:
        if vus:
            over = Overrides(vus=int(rate), duration_s=step_s)
            return dataclasses.replace(self.options, profile="constant-vus", overrides=over)
        max_vus = self.max_vus or max(100, math.ceil(rate))
        over = Overrides(rate=rate, duration_s=step_s, max_vus=max_vus)
        return dataclasses.replace(self.options, profile=None, overrides=over)

    def at(self, rate: float, vus: bool, step_s: float, local: bool = False) -> RunDescription:
        """The step at ``rate``; ``local``: to run in this process even with --workers (a probe)."""
        plan = build_plan(self.source, self.options_at(rate, vus, step_s))
        if self.workers is not None and not local:
            # Workers build the plan from the file and the step's options themselves.
            return plan
        return _short_stops(plan, self.grace_s, rate, vus)

    def workers_at(
        self, description: RunDescription, rate: float, vus: bool, step_s: float
    ) -> WorkerSetup | None:
        assert isinstance(description, Plan)
        opts = self.options_at(rate, vus, step_s)
        return worker_setup(self.source.path, opts, description, self.workers, self.reserve_cores, False)


def _short_stops(plan: Plan, grace_s: float, rate: float, vus: bool) -> Plan:
    """Every scenario starting at once, and stopping within ``grace_s`` (a profile's 30 s graceful stop
    would make every overloaded step last 30 s longer, waiting on a queue the search already judged)."""
    scenarios = []
    for sc in plan.scenarios:
        update: dict[str, object] = {"start": 0.0, "graceful_stop": min(sc.profile.graceful_stop, grace_s)}
        if not vus and isinstance(sc.profile, OpenProfile):
            update["pre_allocated_vus"] = min(
                sc.profile.max_vus, max(1, math.ceil(rate * PREALLOCATED_PER_RATE_S))
            )
        scenarios.append(dataclasses.replace(sc, profile=sc.profile.model_copy(update=update)))
    return dataclasses.replace(plan, scenarios=tuple(scenarios))

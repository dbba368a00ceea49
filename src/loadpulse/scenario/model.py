"""A loaded scenario file, whatever it was written in: the plan the scenario engine runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loadpulse.faults.spec import FaultPlan
from loadpulse.metrics.cardinality import MAX_NAMES
from loadpulse.profiles.base import ProfileConfig
from loadpulse.scenario.pipeline_spec import PipelineSpec

if TYPE_CHECKING:
    from loadpulse.scenario.ctx import Ctx, SetupCtx

TaskFn = Callable[["Ctx"], Awaitable[None]]
SetupFn = Callable[["SetupCtx"], Any]
TeardownFn = Callable[["SetupCtx", Any], Any]

DEFAULT_SCENARIO = "default"


DEFAULT_SETUP_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class TaskDef:
    """One weighted task: each iteration of a VU runs one task, picked by weight."""

    name: str
    fn: TaskFn
    weight: float = 1.0
    where: str = ""
    """file:line of its definition, for messages."""


@dataclass(frozen=True, slots=True)
class ScenarioDef:
    """A weighted set of tasks under one load profile, starting at the profile's offset."""

    name: str
    tasks: tuple[TaskDef, ...]
    profile: ProfileConfig
    think_time_s: float = 0.0
    """Pause after each iteration of a VU (closed profiles only)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a scenario run needs; the CLI resolves presets and overrides before building it."""

    source: str
    """The scenario file's path, as given."""
    scenarios: tuple[ScenarioDef, ...]
    base_url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    setup: SetupFn | None = None
    teardown: TeardownFn | None = None
    thresholds: tuple[str, ...] = ()
    metrics: dict[str, str] = field(default_factory=dict)
    """Declared custom metrics (name -> counter/trend/rate), so thresholds can name them."""
    probes: dict[str, Any] = field(default_factory=dict)
    """The file's probes: name -> spec string ('http:URL#$.path') or a function returning a number."""
    insecure: bool = False
    http2: bool = False
    """``http2 = True`` in the file: ``ctx.http`` requests go over HTTP/2 unless they say otherwise."""
    connect_timeout_s: float = 5.0
    timeout_s: float = 10.0
    grace_s: float = 2.0
    """How long in-flight iterations may finish after an interrupt (the profiles' graceful_stop applies
    when their own time is up)."""
    interval_s: float = 1.0
    setup_timeout_s: float = DEFAULT_SETUP_TIMEOUT_S
    """``setup()`` longer than this is bad input: the load never starts (k6's setupTimeout)."""
    max_names: int = MAX_NAMES
    """Distinct request names the recorder keeps apart (``--max-names``); the rest go under '(other)'."""
    pipeline: PipelineSpec | None = None
    """Where tracked items show up (``ctx.track``), checked against what was sent; None: no check."""
    chaos: FaultPlan = field(default_factory=FaultPlan)
    """The file's faults on the run's timeline and the proxies they act on (``--fault``/``--proxy`` are
    added by the CLI); fired by chaos/fault_runner.py."""

    @property
    def planned_s(self) -> float:
        """Longest the plan schedules work (starts + profiles), without graceful stops."""
        return max(s.profile.start + s.profile.planned_s for s in self.scenarios)

    @property
    def latest_end_s(self) -> float:
        """When the last scenario must be over, its graceful stop included (the watchdog's deadline)."""
        return max(s.profile.start + s.profile.planned_s + s.profile.graceful_stop for s in self.scenarios)

    @property
    def peak_vus(self) -> int:
        return sum(s.profile.peak_vus for s in self.scenarios)

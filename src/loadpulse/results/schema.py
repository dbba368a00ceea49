"""The shape of a results file (``loadpulse.results/1``), checked in full before anything reads it.

A results file can come from anywhere (a CI artifact, a colleague, an attacker), and every report, the
console and ``compare`` index into it freely. So the whole document is validated first, strictly: a count
is an integer (``1e30`` is not), every number is finite (no NaN), a histogram's bucket list and count list
have the same length and add up to its total, bucket indexes are in range. What fails is named by its path
in the document (``series.3.rate``), one line.

Unknown fields are kept (``extra="allow"``) where the format grows (the summary, its blocks): an older
loadpulse reads what it knows of a newer file of the same schema version.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    ValidationError,
    model_validator,
)

from loadpulse.metrics.histogram import N_BUCKETS

INT64_MAX = 2**63 - 1
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
Int64 = Annotated[int, Field(ge=-INT64_MAX, le=INT64_MAX)]
Bucket = Annotated[int, Field(ge=0, lt=N_BUCKETS)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Ms = FiniteFloat | None
"""Latency in ms; None where there was no data."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class _Open(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class HistogramDoc(_Strict):
    idx: list[Bucket]
    n: list[Count]
    total: Count
    sum: Int64
    min: Int64
    max: Int64

    @model_validator(mode="after")
    def _consistent(self) -> HistogramDoc:
        if len(self.idx) != len(self.n):
            raise ValueError(f"bucket list has {len(self.idx)} entries but count list {len(self.n)}")
        if sum(self.n) != self.total:
            raise ValueError(f"bucket counts add up to {sum(self.n)}, not the total {self.total}")
        return self


class NameStatsDoc(_Strict):
    latency: HistogramDoc
    service: HistogramDoc
    ttfb: HistogramDoc
    connect: HistogramDoc
    tls: HistogramDoc
    requests: Count
    ok: Count
    failed: Count
    statuses: dict[str, Count]
    errors: dict[str, Count]
    bytes_in: Count
    bytes_out: Count
    connection_errors: dict[str, Count] = {}
    """The part of ``errors`` that is no request (absent from files written before it was kept)."""

    @model_validator(mode="after")
    def _status_codes(self) -> NameStatsDoc:
        for code in self.statuses:
            if not code.isdigit() or len(code) > 3:
                raise ValueError(f"status code {code!r} is not a number")
        return self


class SeriesRowDoc(_Strict):
    t_s: Seconds
    interval_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    requests: Count
    ok: Count
    failed: Count
    rate: Seconds
    p50_ms: Seconds
    p90_ms: Seconds
    p95_ms: Seconds
    p99_ms: Seconds
    max_ms: Seconds
    errors: dict[str, Count]
    dropped: Count
    in_flight: Count
    connections: Count
    vus: Count = 0
    iterations: Count = 0
    checks_failed: Count = 0
    metrics: dict[str, FiniteFloat] = {}
    probes: dict[str, FiniteFloat] = {}
    faults_active: list[str] = []
    """Chaos faults on during the interval (absent from files written before faults)."""


class ScenarioDoc(_Strict):
    iterations: Count
    duration: HistogramDoc
    dropped: Count
    interrupted: Count
    vus: Count
    script_errors: dict[str, Count]
    script_error_messages: dict[str, str] = {}
    """The first message per key of ``script_errors`` (absent from files written before it was kept)."""


class TrendDoc(_Strict):
    """A trend's exact distribution: values (any finite number, in the script's unit) and their counts."""

    v: list[FiniteFloat]
    n: list[Count]
    total: Count
    sum: FiniteFloat
    min: FiniteFloat
    max: FiniteFloat

    @model_validator(mode="after")
    def _consistent(self) -> TrendDoc:
        if len(self.v) != len(self.n):
            raise ValueError(f"value list has {len(self.v)} entries but count list {len(self.n)}")
        if sum(self.n) != self.total:
            raise ValueError(f"counts add up to {sum(self.n)}, not the total {self.total}")
        return self


class MetricDoc(_Strict):
    kind: Literal["counter", "trend", "rate"]
    value: FiniteFloat = 0.0
    true: Count = 0
    total: Count = 0
    hist: TrendDoc | HistogramDoc | None = None
    """A TrendDoc; files written before trends were exact hold a latency-form histogram of value*1000."""

    @model_validator(mode="after")
    def _shape(self) -> MetricDoc:
        if self.kind == "trend" and self.hist is None:
            raise ValueError("a trend metric needs its histogram ('hist')")
        if self.true > self.total:
            raise ValueError(f"rate metric has {self.true} true of {self.total}")
        return self


class HistogramsDoc(_Strict):
    total: NameStatsDoc
    by_name: dict[str, NameStatsDoc]
    by_tag: dict[str, NameStatsDoc] = {}


class RequestsDoc(_Open):
    total: Count
    ok: Count
    failed: Count
    rate: Seconds


class ConnectionsDoc(_Open):
    opened: Count
    connect_ms: dict[str, Ms]
    tls_ms: dict[str, Ms] | None = None


class StatsBlockDoc(_Open):
    """A Summary JSON stats block (the run's and each ``by_name`` / ``by_tag`` entry's)."""

    requests: RequestsDoc
    latency_ms: dict[str, Ms]
    service_time_ms: dict[str, Ms]
    ttfb_ms: dict[str, Ms]
    connections: ConnectionsDoc
    errors: dict[str, Count]
    connection_errors: dict[str, Count] = {}
    """The part of ``errors`` that is no request (absent from files written before it was kept)."""
    status_codes: dict[str, Count]
    bytes: dict[str, Count]


class ThresholdDoc(_Open):
    expression: str
    metric: str
    target: str | None = None
    acceptable: str | None = None
    critical: str | None = None
    comparators: dict[str, str]
    actual: FiniteFloat | None = None
    actual_text: str
    verdict: Literal["PASS", "WARN", "FAIL", "NONE"]
    abort_on_fail: bool = False


class CountIdsDoc(_Open):
    count: Count
    ids: list[str]


class LostDoc(_Open):
    count: Count
    rate: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class E2eDoc(_Open):
    p50: Ms
    p90: Ms
    p95: Ms
    p99: Ms
    max: Ms


class TimelineDoc(_Strict):
    """``pipeline.timeline``: one entry per sink poll in each column, all columns as long."""

    t_s: list[Seconds]
    delivered: list[Count]
    sent: list[Count]
    delivered_total: list[Count]
    backlog: list[Count]

    @model_validator(mode="after")
    def _same_length(self) -> TimelineDoc:
        n = len(self.t_s)
        for name in ("delivered", "sent", "delivered_total", "backlog"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"column {name!r} has {len(getattr(self, name))} entries but t_s {n}")
        return self


def _check_distribution(points: list[list[float]]) -> list[list[float]]:
    for i, point in enumerate(points):
        if len(point) != 2:
            raise ValueError(f"entry {i} must be [percentile, ms], not {len(point)} numbers")
        q, ms = point
        if not 0 <= q <= 100:
            raise ValueError(f"entry {i}: percentile {q} is not within 0..100")
        if ms < 0:
            raise ValueError(f"entry {i}: latency {ms} ms is negative")
    return points


class PipelineDoc(_Open):
    """The Summary JSON ``pipeline`` object (``PipelineResult.to_dict()``): every field the console and
    reports read, checked; fields added later within v1 are kept."""

    sent: Count
    delivered: Count
    lost: LostDoc
    duplicates: CountIdsDoc
    unexpected: CountIdsDoc
    rejected: Count
    e2e_ms: E2eDoc
    drain_s: Seconds | None
    by_worker: dict[str, Count]
    fairness_pct: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None
    stuck: CountIdsDoc
    lost_ids: list[str]
    in_progress: Count = 0
    unverified: Count = 0
    failed: CountIdsDoc | None = None
    out_of_order: Count = 0
    drained: bool = False
    e2e_basis: dict[str, Count] = {}
    # Chart data, absent from files written before the HTML report drew the pipeline.
    e2e_resolution_s: Seconds | None = None
    e2e_distribution: Annotated[list[list[FiniteFloat]], AfterValidator(_check_distribution)] = []
    workers_expected: Annotated[int, Field(ge=1, le=INT64_MAX)] | None = None
    load_end_s: Seconds | None = None
    timeline: TimelineDoc | None = None


class FaultImpactDoc(_Open):
    requests: Count
    errors: Count
    error_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    dropped: Count
    p99_ms: Ms


class FaultDoc(_Open):
    """One fault occurrence of the Summary JSON ``faults`` list (chaos/timeline.py)."""

    name: str
    kind: Literal["proxy", "kill", "pause", "run"]
    target: str
    detail: str
    start_s: FiniteFloat
    end_s: FiniteFloat | None
    recovery_s: Seconds | None
    recovered: bool | None
    """None: not measurable (the settling window did not fit); recovery_s is then tentative."""
    recovery_note: str = ""
    impact: FaultImpactDoc
    warnings: list[str] = []


class DriftSeriesDoc(_Open):
    """One series of the Summary JSON ``drift`` (metrics/drift.py); figures null when untested."""

    verdict: Literal["grew", "fell", "stable", "untested"]
    significant: bool
    slope_per_min: FiniteFloat | None = None
    change: FiniteFloat | None = None
    change_pct: FiniteFloat | None = None
    ci: Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)] | None = None
    p_value: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    level: FiniteFloat | None = None
    unit: str = ""
    start_s: FiniteFloat | None = None
    end_s: FiniteFloat | None = None
    note: str | None = None


class DriftDoc(_Open):
    tested: bool
    note: str | None = None
    series: dict[str, DriftSeriesDoc] = {}


class SummaryDoc(StatsBlockDoc):
    schema_: str = Field(alias="schema")
    run_id: Annotated[str, Field(min_length=1, max_length=64)]
    started_at: Annotated[str, Field(min_length=1, max_length=32)]
    duration_s: Seconds
    verdict: Literal["PASS", "WARN", "FAIL", "NONE"]
    ended_by: str = "duration"
    dropped: Count = 0
    by_name: dict[str, StatsBlockDoc] = {}
    by_tag: dict[str, StatsBlockDoc] = {}
    thresholds: list[ThresholdDoc] = []
    target: dict[str, Any] = {}
    load: dict[str, Any] = {}
    scenarios: dict[str, dict[str, Any]] = {}
    checks: dict[str, dict[str, Any]] = {}
    metrics: dict[str, dict[str, Any]] = {}
    probes: dict[str, dict[str, Any]] = {}
    pipeline: PipelineDoc | None = None
    """Absent from runs without sinks and from files written before pipeline checks."""
    drift: DriftDoc | None = None
    """Absent with --no-drift and from files written before drift detection."""
    faults: list[FaultDoc] | None = None
    """Absent from runs without faults."""


class ResultsDoc(_Strict):
    schema_: str = Field(alias="schema")
    summary: SummaryDoc
    series: list[SeriesRowDoc]
    histograms: HistogramsDoc
    scenarios: dict[str, ScenarioDoc] = {}
    metrics: dict[str, MetricDoc] = {}
    settings: dict[str, Any] = {}


def schema_problem(doc: dict[str, Any]) -> str | None:
    """None when ``doc`` is a well-formed results document, else its first problem, one line."""
    try:
        ResultsDoc.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return None

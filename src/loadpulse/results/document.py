"""Results: everything a run measured, the record every report, the history and ``compare`` are made from.

Format ``loadpulse.results/1`` (the ``--out`` file and a history row): the Summary JSON, the per-interval
series, the final histograms (overall, per request name, per scenario), checks, custom metrics and the
run's settings with secrets redacted. Reading and checking a document is :mod:`loadpulse.results.file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.scenario_stats import CustomMetric, ScenarioStats
from loadpulse.metrics.snapshot import NameStats
from loadpulse.redaction import redact_headers
from loadpulse.results.outcome import RunOutcome

RESULTS_SCHEMA = "loadpulse.results/1"
SCHEMA_PREFIX = "loadpulse.results/"
SCHEMA_VERSION = 1


@dataclass(slots=True)
class Results:
    summary: dict[str, Any]
    series: list[SeriesRow]
    total: NameStats
    names: dict[str, NameStats] = field(default_factory=dict)
    scenarios: dict[str, ScenarioStats] = field(default_factory=dict)
    metrics: dict[str, CustomMetric] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, NameStats] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.summary["run_id"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RESULTS_SCHEMA,
            "summary": self.summary,
            "series": [r.to_dict() for r in self.series],
            "histograms": {
                "total": self.total.to_dict(),
                "by_name": {k: v.to_dict() for k, v in self.names.items()},
                "by_tag": {k: v.to_dict() for k, v in self.tags.items()},
            },
            "scenarios": {k: v.to_dict() for k, v in self.scenarios.items()},
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "settings": self.settings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Results:
        h = d["histograms"]
        return cls(
            summary=dict(d["summary"]),
            series=[SeriesRow.from_dict(r) for r in d["series"]],
            total=NameStats.from_dict(h["total"]),
            names={str(k): NameStats.from_dict(v) for k, v in h["by_name"].items()},
            scenarios={str(k): ScenarioStats.from_dict(v) for k, v in d.get("scenarios", {}).items()},
            metrics={str(k): CustomMetric.from_dict(v) for k, v in d.get("metrics", {}).items()},
            settings=dict(d.get("settings", {})),
            tags={str(k): NameStats.from_dict(v) for k, v in h.get("by_tag", {}).items()},
        )


def settings_of(outcome: RunOutcome) -> dict[str, Any]:
    """What the run was asked to do, with secret headers redacted (bodies are summarized, not kept)."""
    if outcome.spec is not None:
        spec = outcome.spec
        return {
            "kind": "http",
            "requests": [
                {
                    "url": r.url,
                    "method": r.method,
                    "headers": [list(h) for h in redact_headers(r.headers)],
                    "body_bytes": len(r.body) if r.body else 0,
                    "weight": r.weight,
                }
                for r in spec.requests
            ],
            "load": spec.load.model_dump(mode="json"),
            "timeouts": spec.timeouts.model_dump(mode="json"),
            "insecure": spec.insecure,
            "grace_s": spec.grace_s,
        }
    plan = outcome.plan
    assert plan is not None
    return {
        "kind": "scenario",
        "source": plan.source,
        "base_url": plan.base_url,
        "headers": [list(h) for h in redact_headers(plan.headers)],
        "env": {k: "[redacted]" for k in plan.env},
        "scenarios": {s.name: s.profile.describe() for s in plan.scenarios},
        "thresholds": list(plan.thresholds),
        "timeout_s": plan.timeout_s,
        "insecure": plan.insecure,
    }


def results_of(outcome: RunOutcome, summary: dict[str, Any]) -> Results:
    agg = outcome.aggregate
    return Results(
        summary=summary,
        series=list(agg.series),
        total=agg.total,
        names=dict(agg.names),
        scenarios=dict(agg.scenarios),
        metrics=dict(agg.metrics),
        settings=settings_of(outcome),
        tags=dict(agg.tags),
    )

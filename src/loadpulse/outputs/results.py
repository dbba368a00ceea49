"""The results file (``--out PATH``): everything a run measured, from which every report is regenerated.

Format ``loadpulse.results/1``: JSON (gzip-compressed when the path ends in ``.gz``) holding the Summary JSON,
the per-interval series, the final histograms (overall, per request name, per scenario), checks, custom
metrics and the run's settings with secrets redacted. Readers refuse a newer schema by name instead of
misreading it; a truncated or corrupt file is one clear error.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadpulse.engine.run import RunOutcome
from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import SeriesRow
from loadpulse.metrics.scenario_stats import CustomMetric, ScenarioStats
from loadpulse.metrics.snapshot import NameStats
from loadpulse.outputs.redact import redact_headers

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


def write_results(results: Results, path: str | Path) -> None:
    data = json.dumps(results.to_dict(), separators=(",", ":")).encode()
    p = Path(path)
    p.write_bytes(gzip.compress(data, 6) if p.name.endswith(".gz") else data)


def read_results(path: str | Path) -> Results:
    """A results file, or BadInput naming what is wrong with it."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"results file {str(path)!r} not found") from None
    except OSError as exc:
        raise BadInput(f"results file {str(path)!r} cannot be read: {exc.strerror}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    except (EOFError, gzip.BadGzipFile, OSError):
        raise BadInput(f"results file {str(path)!r} is truncated or corrupt (bad gzip data)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"results file {str(path)!r} is truncated or corrupt: "
            f"not valid JSON ({exc.msg} at byte {exc.pos})"
        ) from None
    except UnicodeDecodeError:
        raise BadInput(f"results file {str(path)!r} is corrupt: not UTF-8 JSON") from None
    return results_from_doc(doc, str(path))


def results_from_doc(doc: Any, where: str) -> Results:
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise BadInput(f"{where!r} is not a loadpulse results file (no '{RESULTS_SCHEMA}' schema)")
    try:
        version = int(schema.removeprefix(SCHEMA_PREFIX))
    except ValueError:
        raise BadInput(f"{where!r} has an unknown schema {schema!r}") from None
    if version > SCHEMA_VERSION:
        raise BadInput(
            f"{where!r} was written by a newer loadpulse (schema {schema}); "
            f"this one reads {RESULTS_SCHEMA}: upgrade loadpulse to read it"
        )
    try:
        return Results.from_dict(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"{where!r} is corrupt: {type(exc).__name__} {exc}") from None

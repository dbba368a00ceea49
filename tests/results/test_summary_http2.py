"""The one-liner's ``load`` block says whether the run spoke HTTP/2 and with how many streams per
connection, and the results file that holds it is well-formed."""

from __future__ import annotations

from datetime import UTC, datetime

from loadpulse.metrics.aggregate import Aggregate
from loadpulse.outputs.verdicts import markdown
from loadpulse.results.document import results_of
from loadpulse.results.outcome import RunOutcome
from loadpulse.results.schema import schema_problem
from loadpulse.results.summary import build_summary
from loadpulse.spec import LoadSpec, RequestSpec, RunSpec


def _summary(**spec_fields: object) -> tuple[dict[str, object], RunOutcome]:
    spec = RunSpec(
        requests=(RequestSpec(url="http://127.0.0.1:8082/"),),
        load=LoadSpec(connections=1, duration_s=1),
        **spec_fields,  # type: ignore[arg-type]
    )
    outcome = RunOutcome(
        spec=spec, aggregate=Aggregate(), started_at=datetime(2026, 11, 24, tzinfo=UTC), ended_by="duration"
    )
    outcome.run_id = "h2"
    return build_summary(outcome), outcome


def test_http2_and_its_streams_in_the_load_block() -> None:
    s, outcome = _summary(http2=True, streams_per_connection=7)
    load = s["load"]
    assert isinstance(load, dict)
    assert load["http2"] is True and load["streams_per_connection"] == 7
    assert schema_problem(results_of(outcome, s).to_dict()) is None
    assert "over HTTP/2" in markdown(s)


def test_http1_says_http2_false_and_no_streams() -> None:
    s, _ = _summary()
    load = s["load"]
    assert isinstance(load, dict)
    assert load["http2"] is False and load["streams_per_connection"] is None
    assert "HTTP/2" not in markdown(s)

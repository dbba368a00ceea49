"""Names a threshold or a declaration points at keep their own entry past every cardinality cap."""

from __future__ import annotations

import tracemalloc

from loadpulse.metrics.cardinality import OTHER, Cap, KeptNames
from loadpulse.metrics.recorder import Recorder
from loadpulse.thresholds.declared import parse_thresholds
from loadpulse.thresholds.named import kept_names


def test_thresholds_name_the_requests_tags_checks_and_metrics_to_keep() -> None:
    thresholds = parse_thresholds(
        [
            "http{name=checkout}.p95 < 1s",
            "errors{name=pay}.count == 0",
            "http{kind=write}.p99 < 2s",
            "checks{name=login ok}.rate > 99%",
            "late.count > 0",
            "p95 < 500ms",
        ],
        {"late": "counter", "declared_only": "trend"},
    )
    kept = kept_names(thresholds, ["declared_only", "late"])
    assert kept == KeptNames(
        names=frozenset({"checkout", "pay"}),
        tags=frozenset({"kind=write"}),
        checks=frozenset({"login ok"}),
        metrics=frozenset({"late", "declared_only"}),
    )


def test_a_kept_name_gets_its_own_entry_however_late_it_comes() -> None:
    keep = KeptNames(frozenset({"checkout"}), frozenset({"id=7"}), frozenset({"ok"}), frozenset({"late"}))
    rec = Recorder(max_names=2, max_tags=2, max_custom=2, keep=keep)
    for i in range(5):
        rec.for_name(f"GET /item/{i}").status.append(200)
        rec.for_tag("id", str(100 + i)).status.append(200)
        rec.metrics.check(f"c{i}", True)
        rec.metrics.declare(f"m{i}", "counter")
    rec.for_name("checkout").status.append(200)
    rec.for_tag("id", "7").status.append(200)
    rec.metrics.check("ok", True)
    rec.metrics.declare("late", "counter")
    rec.metrics.add_counter("late", 3)
    snap = rec.cut(1_000_000_000)
    assert snap.names["checkout"].requests == 1 and snap.names[OTHER].requests == 3
    assert snap.tags["id=7"].requests == 1 and snap.tags[f"id={OTHER}"].requests == 3
    assert snap.checks["ok"] == [1, 0] and snap.checks[OTHER] == [3, 0]
    assert snap.metrics["late"].value == 3


def test_grouped_names_cost_the_same_memory_however_long_they_are() -> None:
    def traced_growth(length: int) -> int:
        cap = Cap(1)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for i in range(5000):
                cap.group(f"/item/{i}/" + "x" * length)  # each name is dropped right after
            return tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()

    short, long = traced_growth(10), traced_growth(10_000)
    assert long < 2 * short + 100_000  # 5,000 names of 10 KB would be 50 MB if they were kept
    cap = Cap(1)
    cap.group("/" + "y" * 10_000)
    assert [len(e) for e in cap.examples] == [200]  # examples are shown to people, cut short

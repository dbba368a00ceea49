"""The names a run's thresholds and declarations point at, which the recorder must never group (pure).

The recorder keeps the first thousand request names (and tag values, check and metric names) apart and
counts later ones under ``(other)``. A name a threshold is about (``http{name=checkout}.p95``,
``checks{name=login ok}.rate``, ``http{kind=write}.p95``) or a declared custom metric must keep its own
entry however late it first shows up, or the threshold would FAIL on "no data" while the data sits in
``(other)``. These sets are as small as the list of thresholds, so keeping them apart stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from loadpulse.metrics.cardinality import KeptNames
from loadpulse.thresholds.threshold import Threshold


def kept_names(thresholds: Iterable[Threshold], declared_metrics: Iterable[str] = ()) -> KeptNames:
    names: set[str] = set()
    tags: set[str] = set()
    checks: set[str] = set()
    metrics: set[str] = set(declared_metrics)
    for t in thresholds:
        m = t.metric
        if m.source == "custom" and m.subject:
            metrics.add(m.subject)
        if m.filter is None:
            continue
        key, value = m.filter
        if key == "tag":
            tags.add(value)
        elif key == "name":
            (checks if m.source == "checks" else names).add(value)
    return KeptNames(frozenset(names), frozenset(tags), frozenset(checks), frozenset(metrics))

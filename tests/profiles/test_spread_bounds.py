"""Per-process bounds with --workers: the whole run is checked against all workers', each part against one
process's (loadpulse.bounds.spread_over)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from loadpulse.bounds import MAX_VUS, spread_over
from loadpulse.errors import BadInput
from loadpulse.profiles.constant_vus import ConstantVus
from loadpulse.profiles.worker_part import WorkerPart
from loadpulse.spec import LoadSpec


def test_a_whole_run_past_one_process_is_refused_alone_and_split_over_workers() -> None:
    with pytest.raises(ValidationError, match="more than one loadpulse process can hold"):
        ConstantVus(vus=MAX_VUS + 1, duration=5.0)
    with spread_over(2):
        whole = ConstantVus(vus=2 * MAX_VUS, duration=5.0)
        with pytest.raises(
            ValidationError, match=r"more than 2 loadpulse processes can hold \(at most 200,000\)"
        ):
            ConstantVus(vus=2 * MAX_VUS + 1, duration=5.0)
    parts = [WorkerPart.even(i, 2).cut(whole) for i in range(2)]
    assert [p.peak_vus for p in parts if p is not None] == [MAX_VUS, MAX_VUS]


def test_each_part_is_held_to_one_process() -> None:
    with spread_over(3):
        whole = ConstantVus(vus=2 * MAX_VUS + 2, duration=5.0)  # fine for 3 processes...
    with pytest.raises(BadInput, match="more than one loadpulse process can hold"):
        WorkerPart.even(0, 2).cut(whole)  # ...not for 2: each would hold 100,001


def test_the_one_liners_connections_spread_too() -> None:
    with pytest.raises(ValidationError, match="one loadpulse process"):
        LoadSpec(connections=MAX_VUS + 1)
    with spread_over(2):
        assert LoadSpec(connections=MAX_VUS + 1).connections == MAX_VUS + 1

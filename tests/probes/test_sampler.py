"""The probe sampler: starting empty, the final sample, growth, thresholds and bounded messages
(issue 10, item 20)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from loadpulse.errors import BadInput
from loadpulse.metrics.aggregate import ProbeStats
from loadpulse.probes import sampler as sampler_module
from loadpulse.probes.build import build_sampler, check_probe_thresholds
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.probes.sources import MESSAGE_CHARS, CallableSource, ProbeError, ProbeMissing, short
from loadpulse.thresholds.declared import parse_thresholds


def sequence(*values: Any) -> CallableSource:
    it = iter(values)
    return CallableSource("q", lambda: next(it))


def test_probe_with_no_value_at_start_is_a_gap_not_bad_input() -> None:
    warned: list[str] = []
    s = ProbeSampler([sequence(None, 5)], warned.append)
    s.check()
    assert s.latest == {} and warned == [
        "probe 'q' has no value yet: <lambda> gave no value (a gap until it has one)"
    ]
    assert s.sample_all() == {"q": 5.0}
    assert len(warned) == 1  # nothing more once it answers


def test_probe_that_fails_at_start_is_still_bad_input() -> None:
    def broken() -> float:
        raise ConnectionRefusedError("refused")

    with pytest.raises(BadInput, match=r"probe 'q' \(callable\) does not answer: ConnectionRefusedError"):
        ProbeSampler([CallableSource("q", broken)]).check()


def test_final_sample_is_taken_after_the_load() -> None:
    s = ProbeSampler([sequence(1, 2)])
    s.check()
    assert asyncio.run(s.final_sample()) == {"q": 2.0} and s.latest == {"q": 2.0}


def test_final_sample_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampler_module, "FINAL_SAMPLE_S", 0.1)

    def slow() -> float:
        time.sleep(0.5)
        return 1.0

    s = ProbeSampler([CallableSource("slow", slow)])
    t = time.perf_counter()
    assert asyncio.run(s.final_sample()) == {}
    assert time.perf_counter() - t < 0.6  # asyncio.run waits for the thread; the run's end did not


def test_growth_from_a_first_sample_of_zero_is_absolute() -> None:
    p = ProbeStats()
    for v in (0, 3, 500):
        p.add(v)
    assert p.growth == 500
    still = ProbeStats()
    still.add(0)
    still.add(0)
    assert still.growth == 0
    rel = ProbeStats()
    rel.add(200)
    rel.add(220)
    assert rel.growth == pytest.approx(0.1)
    assert ProbeStats().growth is None


def test_threshold_on_an_undeclared_probe_is_bad_input_with_did_you_mean() -> None:
    sampler = build_sampler(["queue=file:/dev/null", "web=process:1"], {"jobs": lambda: {"done": 1}})
    ok = parse_thresholds(["probe.queue.max < 5", "probe.web.rss.growth < 10%", "probe.jobs.done.last > 0"])
    check_probe_thresholds(ok, sampler)
    with pytest.raises(BadInput, match=r"no probe series 'qeue'; did you mean 'queue'\?"):
        check_probe_thresholds(parse_thresholds(["probe.qeue.max < 5"]), sampler)
    with pytest.raises(BadInput, match=r"no probe series 'web\.rsss'; did you mean 'web\.rss'"):
        check_probe_thresholds(parse_thresholds(["probe.web.rsss.max < 5"]), sampler)
    with pytest.raises(BadInput, match="no probe is declared"):
        check_probe_thresholds(parse_thresholds(["probe.queue.max < 5"]), None)


def test_messages_from_remote_data_are_capped() -> None:
    s = CallableSource("big", lambda: "x" * 30_000)
    with pytest.raises(ProbeError) as err:
        s.sample()
    assert len(str(err.value)) <= MESSAGE_CHARS
    assert short("a\nb   c") == "a b c" and len(short("y" * 1000)) == MESSAGE_CHARS
    with pytest.raises(ProbeMissing):
        CallableSource("none", lambda: None).sample()

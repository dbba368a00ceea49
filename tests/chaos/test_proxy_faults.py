"""ProxyFaults: the user's spellings parse, bad values name their key, overlapping faults combine or not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import (
    NO_FAULTS,
    ProxyFaults,
    combine,
    parse_proxy_faults,
    parse_rate,
    parse_share,
)


def test_the_user_spellings() -> None:
    f = parse_proxy_faults(
        {
            "latency": "200ms",
            "jitter": "50ms",
            "bandwidth": "1mbit",
            "reset": "5%",
            "drop": 0.1,
            "slow-close": "2s",
        }
    )
    assert f == ProxyFaults(
        latency_s=0.2, jitter_s=0.05, bandwidth_bps=1e6, reset_share=0.05, drop_share=0.1, slow_close_s=2.0
    )
    assert (
        f.describe()
        == "latency 200ms ±50ms (down), bandwidth 1mbit/s (down), reset 5%, drop 10%, slow close 2s"
    )


@pytest.mark.parametrize(
    ("text", "bits"),
    [
        ("1mbit", 1e6),
        ("512kbit/s", 512e3),
        ("100kB/s", 800e3),
        ("1MB/s", 8e6),
        ("2Gbit", 2e9),
        (4000, 4000.0),
    ],
)
def test_rates_in_bits_or_bytes(text: object, bits: float) -> None:
    assert parse_rate(text) == bits


def test_shares() -> None:
    assert parse_share("100%") == 1.0
    assert parse_share(0.25) == 0.25
    assert parse_share("0") == 0.0


@pytest.mark.parametrize(
    ("mapping", "names"),
    [
        ({"latency": "fast"}, "latency 'fast'"),
        ({"jitter": -1}, "jitter"),
        ({"reset": "200%"}, "reset '200%'"),
        ({"drop": 5}, "drop 5"),
        ({"bandwidth": "1mbps"}, "bandwidth '1mbps' is ambiguous"),
        ({"bandwidth": "100kb/s"}, "bandwidth '100kb/s' is ambiguous"),
        ({"bandwidth": "0kbit"}, "bandwidth '0kbit'"),
        ({"bandwidth": "lots"}, "bandwidth 'lots'"),
        ({"direction": "sideways"}, "direction"),
        ({"stall": "maybe"}, "stall"),
        ({"latncy": "1s"}, "unknown proxy fault 'latncy'"),
    ],
)
def test_bad_values_name_their_key_in_one_line(mapping: dict[str, object], names: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_proxy_faults(mapping)
    message = str(info.value)
    assert names in message
    assert "\n" not in message
    assert isinstance(info.value, BadInput)  # the CLI's exit 2


def test_flag_spellings_make_messages_that_start_with_the_flag() -> None:
    with pytest.raises(ValueError, match=r"^--slow-close 'soon' is not a duration"):
        parse_proxy_faults({"--slow-close": "soon"}, where="")


def test_null_means_off() -> None:
    assert parse_proxy_faults({"latency": None, "bandwidth": None}) == NO_FAULTS
    assert not NO_FAULTS.active
    assert NO_FAULTS.describe() == "no faults"


def test_a_latency_and_a_reset_at_once_combine() -> None:
    both = combine(parse_proxy_faults({"latency": "100ms"}), parse_proxy_faults({"reset": "5%"}))
    assert both == ProxyFaults(latency_s=0.1, reset_share=0.05)


def test_bandwidth_up_takes_its_direction_into_the_combination() -> None:
    both = combine(
        parse_proxy_faults({"reset": "5%"}), parse_proxy_faults({"bandwidth": "1mbit", "direction": "up"})
    )
    assert both.direction == "up"
    assert both.bandwidth_bps == 1e6


def test_two_latencies_at_once_contradict_each_other() -> None:
    with pytest.raises(
        ValueError, match=r"'latency 100ms \(down\)' and 'latency 200ms \(down\)' both set latency"
    ):
        combine(parse_proxy_faults({"latency": "100ms"}), parse_proxy_faults({"latency": "200ms"}))


def test_shaping_two_directions_at_once_contradicts() -> None:
    with pytest.raises(ValueError, match="different directions"):
        combine(
            parse_proxy_faults({"latency": "100ms"}),
            parse_proxy_faults({"bandwidth": "1mbit", "direction": "up"}),
        )


def test_applies_follows_the_direction() -> None:
    assert ProxyFaults().applies("down") and not ProxyFaults().applies("up")
    assert ProxyFaults(direction="both").applies("up")


faults = st.builds(
    ProxyFaults,
    latency_s=st.floats(0, 3600),
    jitter_s=st.floats(0, 1),
    direction=st.sampled_from(["down", "up", "both"]),
    bandwidth_bps=st.none() | st.floats(8, 1e10),
    reset_share=st.floats(0, 1),
    drop_share=st.floats(0, 1),
    stall=st.booleans(),
    slow_close_s=st.floats(0, 10),
)


@given(faults)
def test_the_mapping_reads_back_equal(f: ProxyFaults) -> None:
    assert parse_proxy_faults(f.to_mapping()) == f


@given(faults)
def test_combining_with_no_faults_changes_nothing(f: ProxyFaults) -> None:
    assert combine(f, NO_FAULTS) == f
    assert combine(NO_FAULTS, f) == f


def test_a_direction_alone_survives_combining() -> None:
    up = ProxyFaults(direction="up")
    assert combine(NO_FAULTS, up) == up
    assert combine(up, NO_FAULTS) == up


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"latency": 1e308}, "latency 1e+308 is over the maximum of 1h"),
        ({"latency": "99999h"}, "latency '99999h' is over the maximum of 1h"),
        ({"jitter": "2h"}, "jitter '2h' is over the maximum of 1h"),
        ({"slow_close": 3601}, "slow_close 3601 is over the maximum of 1h"),
        ({"bandwidth": 1e-300}, "bandwidth 1e-300 is under the minimum of 1B/s"),
        ({"latency": [[[1]]]}, "latency must be a number or a string, not [[[1]]]"),
    ],
)
def test_durations_and_rates_are_bounded(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_proxy_faults(mapping)
    assert message in str(info.value)
    assert parse_proxy_faults({"latency": "1h"}).describe() == "latency 1h (down)"


def test_an_unknown_key_without_a_place_starts_with_the_problem() -> None:
    with pytest.raises(BadInput, match=r"^unknown proxy fault 'bogus' \(known: "):
        parse_proxy_faults({"bogus": 1}, where="")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.2, "200ms"), (1.5, "1.5s"), (90, "1m30s"), (150.25, "2m30.25s"), (3600, "1h")],
)
def test_durations_are_shown_as_written(seconds: float, shown: str) -> None:
    assert ProxyFaults(slow_close_s=seconds).describe() == f"slow close {shown}"


@pytest.mark.parametrize(
    ("value", "on"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False), ("yes", True),
     ("no", False), ("true", True), ("false", False)],
)  # fmt: skip
def test_stall_takes_every_boolean_spelling(value: object, on: bool) -> None:
    assert parse_proxy_faults({"stall": value}).stall is on


def test_stall_refuses_numbers_that_are_not_a_boolean() -> None:
    with pytest.raises(BadInput, match="stall must be true or false, not 2"):
        parse_proxy_faults({"stall": 2})

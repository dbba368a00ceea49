"""Group probes (issue 11 item 7): a SQL query of (group, value) rows, or a Redis hash, gives a value per
group, their total, the group count and the imbalance; against real SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from loadpulse.errors import BadInput
from loadpulse.probes.build import build_sampler, check_probe_thresholds
from loadpulse.probes.group_values import GROUP_NAME_CHARS, GroupReading
from loadpulse.probes.sampler import ProbeSampler
from loadpulse.probes.sources import ProbeError, SqlSource
from loadpulse.probes.spec import parse_probe
from loadpulse.thresholds.declared import parse_thresholds
from tests.conftest import CliResult

PER_CHANNEL = "SELECT channel_id, count(*) FROM messages GROUP BY channel_id"


def messages_db(path: Path, counts: dict[int, int]) -> str:
    """A SQLite file with ``counts[channel]`` messages per channel; its URL."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS messages (channel_id INTEGER, content TEXT)")
    con.execute("DELETE FROM messages")
    rows = [(ch, f"m{i}") for ch, n in counts.items() for i in range(n)]
    con.executemany("INSERT INTO messages VALUES (?, ?)", rows)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def source(url: str, query: str = PER_CHANNEL, name: str = "per_channel") -> SqlSource:
    return SqlSource(parse_probe(f"{name}=sql:{url}#{query}"))


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Callable[[dict[int, int]], str]]:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))

    def fill(counts: dict[int, int]) -> str:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS messages"))
            conn.execute(text("CREATE TABLE messages (channel_id int, content text)"))
            for ch, n in counts.items():
                conn.execute(
                    text("INSERT INTO messages SELECT :ch, 'm' || g FROM generate_series(1, :n) g"),
                    {"ch": ch, "n": n},
                )
        return postgres_url

    yield fill
    engine.dispose()


@pytest.mark.parametrize(
    ("counts", "imbalance"),
    [
        ({1: 10, 2: 10, 3: 10, 4: 10}, 0.0),  # an even split
        ({1: 10, 2: 10, 3: 10, 4: 30}, 100.0),  # mean 15, one group 15 above it: 100 % of the share
        ({1: 12, 2: 8}, 20.0),  # seed 000's "within ±20 %", just at the edge
    ],
)
def test_sqlite_groups_total_count_and_imbalance(
    tmp_path: Path, counts: dict[int, int], imbalance: float
) -> None:
    s = source(messages_db(tmp_path / "m.db", counts))
    values = s.sample()
    assert values == {
        "per_channel": float(sum(counts.values())),
        "per_channel.groups": float(len(counts)),
        "per_channel.imbalance": pytest.approx(imbalance),
    }
    assert s.groups == {str(ch): float(n) for ch, n in counts.items()}
    assert s.series() == ("per_channel", "per_channel.groups", "per_channel.imbalance")
    s.close()


def test_postgres_groups(pg: Callable[[dict[int, int]], str]) -> None:
    s = source(pg({7: 5, 8: 5, 9: 20}))
    assert s.sample() == {
        "per_channel": 30.0,
        "per_channel.groups": 3.0,
        "per_channel.imbalance": pytest.approx(100.0),  # mean 10, channel 9 is 10 above
    }
    assert s.groups == {"7": 5.0, "8": 5.0, "9": 20.0}
    s.close()


def test_one_column_query_is_still_one_value(tmp_path: Path) -> None:
    s = source(messages_db(tmp_path / "m.db", {1: 3, 2: 4}), "SELECT count(*) FROM messages", "n")
    assert s.sample() == {"n": 7.0}
    assert s.groups is None and s.series() == ("n",)


def test_no_rows_is_a_total_of_zero_without_an_imbalance(tmp_path: Path) -> None:
    s = source(messages_db(tmp_path / "m.db", {}))
    assert s.sample() == {"per_channel": 0.0, "per_channel.groups": 0.0}
    assert s.groups == {}


def test_three_columns_are_refused_in_one_line(tmp_path: Path) -> None:
    url = messages_db(tmp_path / "m.db", {1: 1})
    s = source(url, "SELECT channel_id, count(*), max(content) FROM messages GROUP BY channel_id")
    with pytest.raises(ProbeError, match=r"returns 3 columns; a probe query returns one \(a value\) or two"):
        s.sample()
    # Before the load that is bad input (exit 2), like any probe that cannot answer.
    sampler = ProbeSampler([s])
    with pytest.raises(BadInput, match=r"probe 'per_channel' \(sql\) does not answer: .*3 columns"):
        sampler.check()


def test_a_value_that_is_not_a_number_names_its_group(tmp_path: Path) -> None:
    s = source(messages_db(tmp_path / "m.db", {1: 1}), "SELECT channel_id, content FROM messages")
    with pytest.raises(ProbeError, match=r"group '1' gave 'm0', not a number"):
        s.sample()


def test_groups_past_the_cap_still_count_and_are_said_once(tmp_path: Path) -> None:
    url = messages_db(tmp_path / "m.db", {ch: 2 for ch in range(1, 1201)})
    warned: list[str] = []
    sampler = ProbeSampler([source(url)], warned.append)
    sampler.check()
    values = sampler.sample_all()
    assert values == {"per_channel": 2400.0, "per_channel.groups": 1200.0, "per_channel.imbalance": 0.0}
    assert len(sampler.groups["per_channel"]) == 1000
    assert warned == [
        "probe 'per_channel' returned 1,200 groups; the first 1,000 are kept by name in the summary "
        "(the total, the group count and the imbalance count them all)"
    ]
    sampler.close()


def test_the_imbalance_counts_groups_past_the_cap() -> None:
    r = GroupReading("g", cap=2).add_all([("a", 10), ("b", 10), ("c", 10), ("d", 30)])
    assert r.kept == {"a": 10, "b": 10} and r.dropped == 2
    assert r.series() == {"g": 60, "g.groups": 4, "g.imbalance": pytest.approx(100.0)}


def test_negative_values_have_no_imbalance_and_long_names_are_cut() -> None:
    r = GroupReading("g").add_all([("a", -1.0), ("x" * 500, 3.0), (None, 1.0), (b"w1", 2.0)])
    assert r.series() == {"g": 5.0, "g.groups": 4.0}
    assert set(r.kept) == {"a", "x" * (GROUP_NAME_CHARS - 1) + "…", "null", "w1"}


def test_sampler_keeps_the_last_good_groups_through_a_failure(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    url = messages_db(db, {1: 1, 2: 3})
    warned: list[str] = []
    sampler = ProbeSampler([source(url)], warned.append)
    sampler.check()
    before = sampler.groups
    con = sqlite3.connect(db)
    con.execute("DROP TABLE messages")
    con.commit()
    con.close()
    assert sampler.sample_all() == {}  # a gap, and a warning, never a crash
    assert sampler.groups is before and before == {"per_channel": {"1": 1.0, "2": 3.0}}
    assert len(warned) == 1 and "probe 'per_channel' failed" in warned[0]


def test_redis_hash_gives_groups(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("per_worker")
    client.hset("per_worker", mapping={"w1": 10, "w2": 10, "w3": 40})
    sampler = build_sampler([f"per_worker=redis:{redis_url}#HGETALL per_worker"])
    assert sampler is not None
    sampler.check()
    assert sampler.latest == {
        "per_worker": 60.0,
        "per_worker.groups": 3.0,
        "per_worker.imbalance": pytest.approx(100.0),
    }
    assert sampler.groups == {"per_worker": {"w1": 10.0, "w2": 10.0, "w3": 40.0}}
    check_probe_thresholds(parse_thresholds(["probe.per_worker.imbalance < 20%"]), sampler)
    sampler.close()
    client.close()


def test_imbalance_threshold_on_a_one_value_probe_is_bad_input(tmp_path: Path) -> None:
    url = messages_db(tmp_path / "m.db", {1: 1})
    sampler = build_sampler([f"n=sql:{url}#SELECT count(*) FROM messages"])
    assert sampler is not None
    sampler.check()
    with pytest.raises(BadInput, match=r"no probe series 'n\.imbalance'"):
        check_probe_thresholds(parse_thresholds(["probe.n.imbalance < 20%"]), sampler)
    sampler.close()


def run_with_groups(cli: Callable[..., CliResult], url: str, *thresholds: str) -> CliResult:
    args = [a for t in thresholds for a in ("-t", t)]
    return cli(
        "http", "http://127.0.0.1:9/", "-n", "1", "--timeout", "1s", "--no-history", "--no-progress",
        "--probe", f"per_channel=sql:{url}#{PER_CHANNEL}", *args,
    )  # fmt: skip


def test_run_reports_groups_and_judges_the_imbalance(
    cli: Callable[..., CliResult], tmp_path: Path, pg: Callable[[dict[int, int]], str]
) -> None:
    js = tmp_path / "s.json"
    url = pg({1: 10, 2: 10, 3: 10, 4: 30})
    r = cli(
        "http", "http://127.0.0.1:9/", "-n", "1", "--timeout", "1s", "--no-history", "--no-progress",
        "--json", str(js), "--probe", f"per_channel=sql:{url}#{PER_CHANNEL}",
        "-t", "probe.per_channel.imbalance < 20%",
        "-t", "probe.per_channel.imbalance: target<50% acceptable<150%",
        "-t", "probe.per_channel.imbalance.max <= 100%",
        "-t", "probe.per_channel.groups.last == 4",
        "-t", "probe.per_channel.last == 60",
    )  # fmt: skip
    s = json.loads(js.read_text())
    verdicts = {t["expression"]: (t["verdict"], t["actual"]) for t in s["thresholds"]}
    assert verdicts == {
        "probe.per_channel.imbalance < 20%": ("FAIL", 1.0),
        "probe.per_channel.imbalance: target<50% acceptable<150%": ("WARN", 1.0),
        "probe.per_channel.imbalance.max <= 100%": ("PASS", 1.0),
        "probe.per_channel.groups.last == 4": ("PASS", 4.0),
        "probe.per_channel.last == 60": ("PASS", 60.0),
    }
    assert r.code == 1
    probe = s["probes"]["per_channel"]
    assert probe["by_group"] == {"1": 10.0, "2": 10.0, "3": 10.0, "4": 30.0} and probe["last"] == 60
    assert s["probes"]["per_channel.imbalance"]["last"] == 100.0
    out = " ".join(r.out.split())  # the console wraps at its width
    assert "per_channel by group (4, imbalance 100.0%): 4 30 · 1 10 · 2 10 · 3 10" in out


def test_run_passes_an_even_split(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    url = messages_db(tmp_path / "m.db", {1: 10, 2: 10, 3: 10, 4: 10})
    r = run_with_groups(cli, url, "probe.per_channel.imbalance < 20%")
    assert r.code == 0, r.err
    assert "probe.per_channel.imbalance" in r.out and "0.000 %" in r.out


def test_bad_group_input_before_the_load_is_exit_2(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    url = messages_db(tmp_path / "m.db", {1: 1})
    r = cli(
        "http", "http://127.0.0.1:9/", "-n", "1", "--no-history",
        "--probe", f"g=sql:{url}#SELECT channel_id, content FROM messages",
    )  # fmt: skip
    assert r.code == 2 and r.err.count("\n") == 1 and "group '1' gave 'm0', not a number" in r.err
    r = run_with_groups(cli, url, "probe.per_channel.imbalance < 20")
    assert r.code == 2 and "is a percentage: write the bound with %" in r.err

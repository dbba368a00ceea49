"""Fault entries as users write them, and every way to get one wrong (one line naming entry and key)."""

from __future__ import annotations

import re

import pytest

from loadpulse.errors import BadInput
from loadpulse.faults.proxy_faults import BadFault
from loadpulse.faults.proxy_spec import parse_proxies, parse_proxy_arg
from loadpulse.faults.spec import FaultPlan, parse_fault, parse_faults


def test_the_issue_examples_parse() -> None:
    proxy = parse_fault({"at": "30s", "for": "10s", "proxy": "db", "latency": "200ms"}, "f")
    assert (proxy.kind, proxy.target, proxy.at_s, proxy.for_s, proxy.name) == (
        "proxy",
        "db",
        30.0,
        10.0,
        "proxy-db",
    )
    assert proxy.proxy is not None and proxy.proxy.latency_s == pytest.approx(0.2)
    kill = parse_fault({"at": "45s", "kill": "process:worker.py"}, "f")
    assert (kill.kind, kill.signal, kill.name, kill.restart) == ("kill", "KILL", "kill-worker.py", None)
    every = parse_fault({"every": "20s", "kill": "random process:worker", "restart": "python worker.py"}, "f")
    assert every.kill is not None and every.kill.random and every.kill.value == "worker"
    assert (every.at_s, every.every_s, every.restart) == (20.0, 20.0, "python worker.py")
    run = parse_fault({"at": "1m", "run": "docker restart db"}, "f", 3)
    assert (run.kind, run.at_s, run.name) == ("run", 60.0, "run-4")


def test_stop_with_for_is_a_pause() -> None:
    f = parse_fault({"at": 1, "for": "2s", "kill": "pid:42", "signal": "sigstop", "name": "freeze"}, "f")
    assert (f.kind, f.signal, f.name, f.for_s) == ("pause", "STOP", "freeze", 2.0)
    assert "SIGCONT" in f.describe()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"at": "1s", "explode": "db"}, "f: no fault kind"),
        ({"at": "1s", "proxy": "db", "kill": "pid:1"}, "one fault does one thing"),
        ({"at": "soon", "run": "true"}, "f.at 'soon' is not a duration"),
        ({"at": "1s", "for": "0s", "proxy": "db", "latency": "1ms"}, "f.for must be greater than zero"),
        ({"at": "1s", "proxy": "db"}, "needs what to inject"),
        ({"at": "1s", "proxy": "db", "latency": "fast"}, "latency"),
        ({"at": "1s", "kill": "worker.py"}, "f.kill 'worker.py' is not a process target"),
        ({"at": "1s", "kill": "pid:abc"}, "a pid is a whole number"),
        ({"at": "1s", "kill": "pid:1", "signal": "HUP"}, "f.signal must be KILL, TERM or STOP"),
        ({"at": "1s", "kill": "pid:1", "for": "2s"}, "f.for: a kill is instant"),
        ({"at": "1s", "kill": "pid:1", "signal": "STOP", "restart": "x"}, "f.restart: a STOP pauses"),
        ({"at": "1s", "run": "true", "for": "2s"}, "f.for: a run: fault lasts"),
        ({"at": "1s", "run": "true", "count": 2}, "count goes with every"),
        ({"every": "5s", "for": "5s", "proxy": "db", "stall": True}, "must be shorter than every"),
        ({"every": "5s", "run": "true", "count": 0}, "f.count must be a whole number"),
        ({"at": "1s", "run": "true", "signal": "KILL"}, "f.signal: unknown key for a run fault"),
        ({"at": "1s", "run": "true", "name": "a,b"}, "f.name 'a,b'"),
        ("kill everything", "f: a fault is a mapping"),
    ],
)
def test_bad_entries_are_one_line_naming_the_key(entry: object, message: str) -> None:
    with pytest.raises(BadFault) as info:
        parse_fault(entry, "f")
    text = str(info.value)
    assert message in text and "\n" not in text
    assert isinstance(info.value, ValueError) and isinstance(info.value, BadInput)


def test_entries_are_named_where_they_are() -> None:
    with pytest.raises(BadFault, match=r"^flows.yaml:7: faults\[1\].kill"):
        parse_faults([{"run": "true"}, {"kill": "nope"}], "flows.yaml", lambda i: f"flows.yaml:{6 + i}")


def test_default_names_get_a_suffix_and_given_names_must_be_unique() -> None:
    two = parse_faults([{"at": 1, "proxy": "db", "stall": True}, {"at": 9, "proxy": "db", "drop": "5%"}], "f")
    assert [f.name for f in two] == ["proxy-db", "proxy-db-2"]
    with pytest.raises(BadFault, match="already the name of"):
        parse_faults([{"at": 1, "run": "true", "name": "x"}, {"at": 2, "run": "true", "name": "x"}], "f")


def test_proxies_from_a_file_and_the_command_line() -> None:
    proxies = parse_proxies({"db": {"listen": "127.0.0.1:6390", "upstream": "6379"}}, "s.py")
    assert proxies["db"].listen == ("127.0.0.1", 6390) and proxies["db"].upstream == ("127.0.0.1", 6379)
    arg = parse_proxy_arg("api=[::1]:8081->127.0.0.1:8080")
    assert (arg.name, arg.listen, arg.upstream) == ("api", ("::1", 8081), ("127.0.0.1", 8080))
    for bad, message in [
        ("db", "is not NAME=LISTEN->UPSTREAM"),
        ("db=127.0.0.1:70000->127.0.0.1:1", "not within 1..65535"),
        ("db=host->127.0.0.1:1", "is not HOST:PORT"),
    ]:
        with pytest.raises(BadFault, match=message):
            parse_proxy_arg(bad)
    with pytest.raises(BadFault, match=r"s.py: proxies.db.port: unknown key"):
        parse_proxies({"db": {"listen": "1", "upstream": "2", "port": 3}}, "s.py")
    with pytest.raises(BadFault, match="also proxy 'a'"):
        parse_proxies({"a": {"listen": "9", "upstream": "2"}, "b": {"listen": "9", "upstream": "3"}}, "s.py")


def test_plans_merge_and_refuse_a_proxy_declared_twice() -> None:
    file = FaultPlan(
        parse_faults([{"at": 1, "run": "true"}], "f"),
        parse_proxies({"db": {"listen": "1", "upstream": "2"}}, "f"),
    )
    cli = FaultPlan(parse_faults([{"at": 2, "run": "false"}], "--fault"), {})
    merged = file.merged(cli)
    assert [f.name for f in merged.faults] == ["run-1", "run-1-2"] and list(merged.proxies) == ["db"]
    with pytest.raises(BadFault, match="already declared"):
        file.merged(FaultPlan((), {"db": parse_proxy_arg("db=3->4")}))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"at": "1s", "kil": "process:x"}, "unknown key 'kil' (did you mean 'kill'?)"),
        ({"at": "1s", "prxy": "db", "latency": "1s"}, "unknown key 'prxy' (did you mean 'proxy'?)"),
        (
            {"at": "1s", "kill": "pid:4", "signl": "TERM"},
            "f.signl: unknown key for a kill fault (did you mean 'signal'?)",
        ),
        ({"at": "1s", "run": "true", "fro": "1s"}, "(did you mean 'for'?)"),
    ],
)
def test_a_typo_names_the_key_and_the_likely_one(entry: object, message: str) -> None:
    with pytest.raises(BadFault) as info:
        parse_fault(entry, "f")
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "name",
    ["a b", "a;b", "a/b", "a'b", "$x", "`x`", "a\x00b", "a\u202eb", "a\x1b[31mb", "x" * 10_000, ""],
)
def test_fault_names_are_letters_digits_dash_underscore_dot(name: str) -> None:
    with pytest.raises(BadFault) as info:
        parse_fault({"at": "1s", "run": "true", "name": name}, "f")
    text = str(info.value)
    assert "\n" not in text and len(text) < 200 and "\x1b" not in text and "\x00" not in text
    assert "f.name" in text or "non-empty" in text


def test_default_names_keep_to_the_name_rule() -> None:
    f = parse_fault({"at": "1s", "kill": "cmd:worker.py --queue 'jobs'/$HOME"}, "f")
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", f.name), f.name
    assert parse_fault({"at": "1s", "name": "db-slow.v2_a", "run": "true"}, "f").name == "db-slow.v2_a"


def test_a_run_proxy_listens_on_loopback_unless_a_file_allows_remote() -> None:
    with pytest.raises(BadFault) as info:
        parse_proxy_arg("api=0.0.0.0:23171->127.0.0.1:47100")
    assert "0.0.0.0 is not a loopback address" in str(info.value) and "allow_remote" in str(info.value)
    assert parse_proxy_arg("api=[::1]:23171->127.0.0.1:1").listen == ("::1", 23171)
    assert parse_proxy_arg("api=localhost:23171->127.0.0.1:1").listen[0] == "localhost"
    remote = {"api": {"listen": "0.0.0.0:23171", "upstream": "127.0.0.1:1"}}
    with pytest.raises(BadFault, match=r"^f.yaml:3: proxies.api.listen: 0.0.0.0 is not a loopback"):
        parse_proxies(remote, "f.yaml", lambda name: "f.yaml:3")
    allowed = parse_proxies({"api": {**remote["api"], "allow_remote": True}}, "f.yaml")
    assert allowed["api"].allow_remote and allowed["api"].listen == ("0.0.0.0", 23171)
    with pytest.raises(BadFault, match="allow_remote must be true or false"):
        parse_proxies({"api": {**remote["api"], "allow_remote": "yes"}}, "f.yaml")

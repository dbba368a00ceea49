"""Probe specs as written on the command line or in a scenario file (pure parsing, no I/O).

NAME=process:PID            NAME=process:NAME          CPU %, RSS (MiB), open files, connections, threads
NAME=file:PATH              size in bytes (e.g. seed 000's SQLite database)
NAME=http:URL#$.json.path   a number from a JSON endpoint (e.g. queue_length from /health, seed 004)
NAME=sql:URL#QUERY          one column: the first row's value (SQLAlchemy URL: sqlite or postgresql);
                            two columns: (group, value) per row, a group probe (probes/group_values.py)
NAME=redis:URL#COMMAND      e.g. redis://127.0.0.1:6379#LLEN pending_messages (seed 004); a hash
                            reply (HGETALL) is a group probe
NAME=redis:URL#INFO SECTION#FIELD   one INFO field, e.g. #INFO memory#used_memory
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loadpulse.errors import BadInput
from loadpulse.jsonpath import parse_json_path

KINDS = ("process", "file", "http", "sql", "redis")
_NAME = re.compile(r"[A-Za-z_][\w-]*")


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    name: str
    kind: str
    target: str
    selector: str = ""
    """JSON path (http), query (sql), command (redis)."""


def parse_probe(text: str) -> ProbeSpec:
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise BadInput(
            f"--probe {text!r} is not NAME=KIND:TARGET, e.g. queue=http:http://127.0.0.1:8000/health#$.queue_length"
        )
    if not _NAME.fullmatch(name):
        raise BadInput(f"--probe {text!r}: name {name!r} must be letters, digits, '_' or '-'")
    kind, sep, target = rest.partition(":")
    kind = kind.strip()
    if not sep or kind not in KINDS:
        from loadpulse.profiles.registry import did_you_mean

        raise BadInput(f"--probe {text!r}: unknown probe kind {kind!r}{did_you_mean(kind, list(KINDS))}")
    target, _, selector = target.partition("#") if kind in ("http", "sql", "redis") else (target, "", "")
    target, selector = target.strip(), selector.strip()
    if not target:
        raise BadInput(f"--probe {text!r}: {kind} probe needs a target after '{kind}:'")
    if kind == "http":
        if not target.startswith(("http://", "https://")):
            raise BadInput(f"--probe {text!r}: http probe needs an http:// or https:// URL")
        if not selector:
            raise BadInput(f"--probe {text!r}: http probe needs a JSON path after '#', like #$.queue_length")
        try:
            parse_json_path(selector)
        except ValueError as exc:
            raise BadInput(f"--probe {text!r}: {exc}") from None
    if kind == "sql" and not selector:
        raise BadInput(
            f"--probe {text!r}: sql probe needs a query after '#', like #SELECT count(*) FROM jobs"
        )
    if kind == "redis":
        if not target.startswith(("redis://", "rediss://", "unix://")):
            raise BadInput(f"--probe {text!r}: redis probe needs a redis:// URL")
        if not selector:
            raise BadInput(
                f"--probe {text!r}: redis probe needs a command after '#', like #LLEN pending_messages"
            )
        command, _, field = selector.partition("#")
        words = command.split()
        if words and words[0].upper() == "INFO" and not field.strip():
            raise BadInput(
                f"--probe {text!r}: a redis INFO probe names one field, like #INFO memory#used_memory "
                "(SECTION#FIELD); INFO's whole reply is not a number"
            )
    return ProbeSpec(name, kind, target, selector)

"""Saving runs and finding them again: ``loadpulse history``, ``show``, ``report``, ``compare`` all read here.

The store is a SQLAlchemy URL: SQLite by default (``history.sqlite`` in the user's data directory, from
platformdirs; ``LOADPULSE_STORE`` overrides the default), or ``postgresql://…`` (psycopg, the ``postgres``
extra). Problems with the store are BadInput with the URL's password hidden.
"""

from __future__ import annotations

import difflib
import gzip
import json
import math
import os
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, desc, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from loadpulse.errors import BadInput
from loadpulse.redaction import redact_url
from loadpulse.results.document import Results
from loadpulse.results.file import parse_document, results_from_doc
from loadpulse.results.verdict import run_verdict
from loadpulse.store.schema import runs, upgrade

STORE_ENV = "LOADPULSE_STORE"
COMPLETE_VERDICTS = ("PASS", "WARN", "NONE")
"""Runs that 'best' may pick: no FAIL, and not INTERRUPTED or ABORTED (their numbers cover part of a run)."""


def default_url() -> str:
    env = os.environ.get(STORE_ENV)
    if env:
        return env
    import platformdirs

    folder = Path(platformdirs.user_data_dir("loadpulse", appauthor=False))
    return f"sqlite:///{folder / 'history.sqlite'}"


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    name: str | None
    tags: list[str]
    git_commit: str | None
    started_at: str
    duration_s: float
    verdict: str
    requests: int
    rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    """None where the run measured no latency (stored as 0: a measured latency is at least 1 µs)."""
    error_rate: float
    source: str | None
    ended_by: str | None = None
    """How the run ended; None for runs saved before schema version 3."""
    pipeline_sent: int | None = None
    pipeline_delivered: int | None = None
    pipeline_lost: int | None = None
    pipeline_duplicates: int | None = None
    pipeline_loss_rate: float | None = None
    pipeline_e2e_p95_ms: float | None = None
    """The pipeline check's figures; None for runs without sinks and runs saved before schema version 4
    (the e2e p95 also when nothing arrived)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _row(d: dict[str, Any]) -> RunRow:
    no_data = {k: None for k in ("p50_ms", "p95_ms", "p99_ms") if not d[k]}
    return RunRow(**{**d, "tags": json.loads(d["tags"] or "[]"), **no_data})


def pipeline_columns(pipeline: dict[str, Any] | None) -> dict[str, Any]:
    """The history row's pipeline columns from the Summary JSON ``pipeline`` object (null without one)."""
    if not pipeline:
        return {}
    return {
        "pipeline_sent": int(pipeline["sent"]),
        "pipeline_delivered": int(pipeline["delivered"]),
        "pipeline_lost": int(pipeline["lost"]["count"]),
        "pipeline_duplicates": int(pipeline["duplicates"]["count"]),
        "pipeline_loss_rate": float(pipeline["lost"]["rate"]),
        "pipeline_e2e_p95_ms": pipeline["e2e_ms"]["p95"],
    }


def git_commit(cwd: str | None = None) -> str | None:
    """The commit of the working directory's git checkout, if it is one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class RunStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.where = redact_url(self.url)
        self.engine = self._engine(create_folder=url is None)

    def _engine(self, create_folder: bool) -> Engine:
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise BadInput(
                f"--store {self.url!r} is not a database URL (sqlite:///path or postgresql://…)"
            ) from None
        database = parsed.database or ""
        if parsed.drivername.startswith("sqlite") and database in ("", ":memory:"):
            # An in-memory history is thrown away with the process: the run would say "saved" and not be.
            raise BadInput(
                f"--store {self.where}: give the sqlite file's path, e.g. sqlite:///runs/history.sqlite"
            )
        # A file: URI (sqlite's uri=true mode) or :memory: names no folder of ours to check or create.
        if parsed.drivername.startswith("sqlite") and database and not database.startswith(("file:", ":")):
            folder = Path(database).expanduser().parent
            if create_folder:  # the default history in the user's data folder: made on first use
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise BadInput(
                        f"history store {self.where}: cannot create {folder}: {exc.strerror}"
                    ) from None
            elif not folder.is_dir():
                # Like an output path: a mistyped folder is refused, never silently created.
                raise BadInput(
                    f"history store {self.where}: folder {str(folder)!r} does not exist; create it first"
                )
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        args: dict[str, Any] = {"connect_timeout": 5} if parsed.drivername.startswith("postgresql") else {}
        if parsed.drivername.startswith("sqlite"):
            args = {"timeout": 2}
        try:
            return create_engine(parsed, connect_args=args, pool_pre_ping=True)
        except (NoSuchModuleError, ImportError) as exc:
            raise BadInput(
                f"history store {self.where}: no driver for {parsed.drivername!r} ({exc}); "
                "for PostgreSQL install loadpulse[postgres]"
            ) from None

    def _fail(self, exc: SQLAlchemyError, doing: str) -> BadInput:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return BadInput(f"history store {self.where}: {doing} failed: {detail}")

    def open(self, writable: bool = False) -> RunStore:
        """Connect, check the tables are ours and bring the schema up to date. ``writable``: also prove a
        run can be saved (a run calls this before its load). BadInput when unreachable, locked, read-only,
        not a database, or holding tables loadpulse did not create."""
        try:
            with self.engine.begin() as conn:
                upgrade(conn, self.where)
            if writable:
                self._try_write()
        except SQLAlchemyError as exc:
            raise self._fail(exc, "opening") from None
        return self

    def _try_write(self) -> None:
        """Insert a row and roll it back: the only check that sees a read-only file or mount, a locked
        database or a missing INSERT grant (file permission bits say nothing for root)."""
        probe = {
            # a random id: two runs starting at once never wait on each other's probe row
            "run_id": f"write-check-{secrets.token_hex(6)}",
            "tags": "[]",
            "started_at": "",
            "duration_s": 0.0,
            "verdict": "NONE",
            "requests": 0,
            "rate": 0.0,
            "p50_ms": 0.0,
            "p95_ms": 0.0,
            "p99_ms": 0.0,
            "error_rate": 0.0,
            "results": b"",
        }
        with self.engine.connect() as conn:
            trans = conn.begin()
            try:
                conn.execute(runs.insert().values(**probe))
            finally:
                trans.rollback()

    # writing ----------------------------------------------------------------------------------------------
    def save(self, results: Results, name: str | None, tags: Sequence[str], commit: str | None) -> None:
        s = results.summary
        blob = gzip.compress(json.dumps(results.to_dict(), separators=(",", ":")).encode(), 6)
        req = s["requests"]
        row = {
            "run_id": s["run_id"],
            "name": name,
            "tags": json.dumps(sorted(set(tags))),
            "git_commit": commit,
            "started_at": s["started_at"],
            "duration_s": float(s["duration_s"]),
            # INTERRUPTED / ABORTED for a run that did not run its course: never listed as a PASS.
            "verdict": run_verdict(s),
            "ended_by": s.get("ended_by"),
            "requests": int(req["total"]),
            "rate": float(req["rate"]),
            # The columns are NOT NULL since version 1; "no data" (null in the summary) is kept as 0.
            "p50_ms": float(s["latency_ms"]["p50"] or 0.0),
            "p95_ms": float(s["latency_ms"]["p95"] or 0.0),
            "p99_ms": float(s["latency_ms"]["p99"] or 0.0),
            "error_rate": req["failed"] / req["total"] if req["total"] else 0.0,
            "source": (s.get("load") or {}).get("source") or (s.get("target") or {}).get("url"),
            **pipeline_columns(s.get("pipeline")),
            "results": blob,
        }
        try:
            with self.engine.begin() as conn:
                upgrade(conn, self.where)
                conn.execute(runs.insert().values(**row))
        except OperationalError as exc:
            raise self._fail(exc, "saving the run") from None
        except SQLAlchemyError as exc:
            raise self._fail(exc, "saving the run") from None

    # reading ----------------------------------------------------------------------------------------------
    def list(self, name: str | None = None, tag: str | None = None, limit: int = 20) -> list[RunRow]:
        cols = [c for c in runs.c if c.name not in ("id", "results")]
        q = select(*cols).order_by(desc(runs.c.started_at), desc(runs.c.id))
        if name is not None:
            q = q.where(runs.c.name == name)
        if tag is not None:
            q = q.where(runs.c.tags.like(f'%"{tag}"%'))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(q.limit(limit)).all()
        except SQLAlchemyError as exc:
            raise self._fail(exc, "reading") from None
        return [_row(r._asdict()) for r in rows]

    def resolve(self, ref: str, name: str | None = None) -> str:
        """A run id from a reference: an id (or unique prefix), 'last', 'best' (lowest p95 with no FAIL),
        or 'tag:NAME' (the newest run with that tag)."""
        if ref == "last":
            found = self.list(name=name, limit=1)
        elif ref == "best":
            candidates = [
                r for r in self.list(name=name, limit=10_000) if r.verdict in COMPLETE_VERDICTS and r.requests
            ]
            found = sorted(candidates, key=lambda r: r.p95_ms if r.p95_ms is not None else math.inf)[:1]
        elif ref.startswith("tag:"):
            found = self.list(name=name, tag=ref[4:], limit=1)
        else:
            try:
                with self.engine.connect() as conn:
                    ids = [
                        r[0] for r in conn.execute(select(runs.c.run_id).where(runs.c.run_id.startswith(ref)))
                    ]
            except SQLAlchemyError as exc:
                raise self._fail(exc, "reading") from None
            if len(ids) == 1:
                return str(ids[0])
            if len(ids) > 1:
                raise BadInput(f"run id {ref!r} is ambiguous: {', '.join(sorted(ids)[:5])}")
            recent = [r.run_id for r in self.list(limit=200)]
            close = difflib.get_close_matches(ref, recent, n=3, cutoff=0.3)
            hint = (
                f"; closest: {', '.join(close)}"
                if close
                else (f"; newest: {', '.join(recent[:3])}" if recent else "; the history is empty")
            )
            raise BadInput(f"no run {ref!r} in history store {self.where}{hint}")
        if not found:
            what = {"last": "no runs", "best": "no run without a FAIL"}.get(ref, f"no run tagged {ref[4:]!r}")
            scope = f" named {name!r}" if name else ""
            raise BadInput(f"{what}{scope} in history store {self.where}")
        return found[0].run_id

    def load(self, ref: str, name: str | None = None) -> Results:
        run_id = self.resolve(ref, name)
        try:
            with self.engine.connect() as conn:
                blob = conn.execute(select(runs.c.results).where(runs.c.run_id == run_id)).scalar_one()
        except SQLAlchemyError as exc:
            raise self._fail(exc, "reading") from None
        where = f"run {run_id} in history store {self.where}"
        if not isinstance(blob, bytes) or blob[:2] != b"\x1f\x8b":
            raise BadInput(f"{where} is corrupt: its results are not gzip data")
        # The same capped, validated reading as a results file: a database is input like any file.
        return results_from_doc(parse_document(blob, where), where)


def load_ref(ref: str, store_url: str | None = None, name: str | None = None) -> Results:
    """A results file path (if it exists or looks like one) or a history reference."""
    from loadpulse.results.file import read_results

    if not ref.strip():  # Path("") is "." (a folder): say what is wrong instead
        raise BadInput(
            "the run to load is empty: give a run id, 'last', 'best', 'tag:NAME' or a results file"
        )
    p = Path(ref)
    if p.exists() or ref.endswith((".json", ".json.gz")):
        return read_results(p)
    return RunStore(store_url).open().load(ref, name)

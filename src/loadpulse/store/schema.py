"""The history database's tables and their versioned, self-upgrading schema (SQLAlchemy Core).

One code path for SQLite and PostgreSQL: only portable types. ``loadpulse_meta`` holds the schema version;
opening a database applies every migration above its version in order, inside one transaction, and refuses
a database written by a newer loadpulse instead of misreading it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)

from loadpulse.errors import BadInput

SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "loadpulse_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

runs = Table(
    "loadpulse_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("name", String(256), nullable=True),
    Column("tags", Text, nullable=False, default="[]"),
    Column("git_commit", String(64), nullable=True),
    Column("started_at", String(32), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("requests", Integer, nullable=False),
    Column("rate", Float, nullable=False),
    Column("p50_ms", Float, nullable=False),
    Column("p95_ms", Float, nullable=False),
    Column("p99_ms", Float, nullable=False),
    Column("error_rate", Float, nullable=False),
    Column("source", Text, nullable=True),
    # The results file (gzip JSON): everything a report or a comparison needs.
    Column("results", LargeBinary, nullable=False),
)


def _v1(conn: Connection) -> None:
    """The first layout: every table as declared, except what later versions add."""
    meta.create(conn, checkfirst=True)
    runs.create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    """Listing by name and by start time is what `history` and `last`/`best` do: index both.

    Plain DDL rather than an ``Index`` object: one bound to the table would also be created by
    ``runs.create`` in v1, and the migration must produce exactly the v1 -> v2 difference."""
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_loadpulse_runs_name_started ON loadpulse_runs (name, started_at)")
    )


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2}


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "loadpulse_meta"):
        return 0
    row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


def upgrade(conn: Connection, where: str) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise BadInput(
            f"history store {where} has schema version {found}, newer than this loadpulse's "
            f"{SCHEMA_VERSION}: upgrade loadpulse, or use another store with --store"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
    if found != SCHEMA_VERSION:
        if found == 0:
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        else:
            conn.execute(
                meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION))
            )
    return found

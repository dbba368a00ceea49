"""The history database's tables and their versioned, self-upgrading schema (SQLAlchemy Core).

One code path for SQLite and PostgreSQL: only portable types. ``loadpulse_meta`` holds the schema version;
opening a database applies every migration above its version in order, inside one transaction, and refuses
a database written by a newer loadpulse, or holding tables of our names that loadpulse did not create,
instead of misreading it.
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
    inspect,
    select,
    text,
)

from loadpulse.errors import BadInput

SCHEMA_VERSION = 4

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
    Column("verdict", String(16), nullable=False),
    # How the run ended (duration, requests, completed, interrupted, aborted, stopped); since version 3.
    Column("ended_by", String(16), nullable=True),
    Column("requests", Integer, nullable=False),
    Column("rate", Float, nullable=False),
    Column("p50_ms", Float, nullable=False),
    Column("p95_ms", Float, nullable=False),
    Column("p99_ms", Float, nullable=False),
    Column("error_rate", Float, nullable=False),
    Column("source", Text, nullable=True),
    # The pipeline check (sinks), since version 4; null for runs without one and runs saved before.
    Column("pipeline_sent", Integer, nullable=True),
    Column("pipeline_delivered", Integer, nullable=True),
    Column("pipeline_lost", Integer, nullable=True),
    Column("pipeline_duplicates", Integer, nullable=True),
    Column("pipeline_loss_rate", Float, nullable=True),
    Column("pipeline_e2e_p95_ms", Float, nullable=True),
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


def _v3(conn: Connection) -> None:
    """How a run ended (``ended_by``) and room in ``verdict`` for INTERRUPTED / ABORTED.

    SQLite does not enforce VARCHAR lengths, so only PostgreSQL widens the column. A database created at
    version 3 already has ``ended_by`` (v1 creates the table as declared)."""
    if "ended_by" not in _columns(conn, runs.name):
        conn.execute(text("ALTER TABLE loadpulse_runs ADD COLUMN ended_by VARCHAR(16)"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE loadpulse_runs ALTER COLUMN verdict TYPE VARCHAR(16)"))


PIPELINE_COLUMNS = {
    "pipeline_sent": "INTEGER",
    "pipeline_delivered": "INTEGER",
    "pipeline_lost": "INTEGER",
    "pipeline_duplicates": "INTEGER",
    "pipeline_loss_rate": "FLOAT",
    "pipeline_e2e_p95_ms": "FLOAT",
}


def _v4(conn: Connection) -> None:
    """The pipeline check's figures as columns (`history` lists them without reading each run's results).

    Runs saved before keep nulls: their results (which `show` and `compare` read) still hold the pipeline
    when they had one, but decompressing every stored run inside the upgrade would make opening a large
    store slow. A database created at version 4 already has the columns."""
    have = _columns(conn, runs.name)
    for column, sql_type in PIPELINE_COLUMNS.items():
        if column not in have:
            conn.execute(text(f"ALTER TABLE loadpulse_runs ADD COLUMN {column} {sql_type}"))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4}
LATER_COLUMNS = {"ended_by", *PIPELINE_COLUMNS}
"""Columns a migration after v1 adds: an older database of ours lacks them until it is upgraded."""


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def check_ours(conn: Connection, where: str, tables: tuple[Table, ...] = (meta, runs)) -> None:
    """BadInput when a table with one of our names exists but lacks our columns: another program's table
    (or a damaged one) is refused before a run, not found when its row cannot be saved."""
    for table in tables:
        if not conn.dialect.has_table(conn, table.name):
            continue
        missing = {c.name for c in table.c} - LATER_COLUMNS - _columns(conn, table.name)
        if missing:
            raise BadInput(
                f"history store {where} has a table {table.name!r} that loadpulse did not create "
                f"(no column {', '.join(sorted(missing))}): use another store with --store"
            )


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "loadpulse_meta"):
        return 0
    row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if row is None:
        return 0
    if not str(row[0]).isdigit():
        raise BadInput(f"schema version {row[0]!r} is not one loadpulse wrote")
    return int(row[0])


def upgrade(conn: Connection, where: str) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    check_ours(conn, where, (meta,))
    try:
        found = current_version(conn)
    except BadInput as exc:
        raise BadInput(f"history store {where}: {exc}: use another store with --store") from None
    if found > SCHEMA_VERSION:
        raise BadInput(
            f"history store {where} has schema version {found}, newer than this loadpulse's "
            f"{SCHEMA_VERSION}: upgrade loadpulse, or use another store with --store"
        )
    check_ours(conn, where, (runs,))
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

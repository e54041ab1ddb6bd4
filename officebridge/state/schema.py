"""The tables of the state store, as SQLAlchemy Core metadata.

This is the model the Alembic migrations must produce; a test compares the
two so they cannot drift. Core tables (not ORM classes) because every access
is a set-based statement (chunked lookups, upserts, keyset pages) and the
store hands out frozen dataclasses, never live rows.

Datetimes go through `UTCDateTime`: aware UTC in, aware UTC out, microseconds
kept on every backend (SQLite stores a fixed-width ISO string, PostgreSQL a
`timestamptz`), so a watermark read back compares equal to the one written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Alembic's bookkeeping table; not "alembic_version", so the store can share a
# PostgreSQL database with Airflow's metadata (which uses that name).
VERSION_TABLE = "officebridge_state_version"


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the state store; use UTC-aware")
        value = value.astimezone(UTC)
        # SQLite has no timezone type: store naive UTC (fixed-width, so it sorts as text).
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData(naming_convention=NAMING)

ID = sa.String(255)
SYNC = sa.String(200)
HASH = sa.String(128)

links = sa.Table(
    "links",
    metadata,
    sa.Column("sync", SYNC, primary_key=True),
    sa.Column("source_id", ID, primary_key=True),
    sa.Column("target_id", ID, nullable=False),
    sa.Column("source_hash", HASH, nullable=True),
    sa.Column("target_hash", HASH, nullable=True),
    sa.Column("synced_at", UTCDateTime(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="active"),
    sa.CheckConstraint("state IN ('active', 'deleted')", name="state"),
    sa.Index(None, "sync", "target_id"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync", SYNC, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("count_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_created", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_deleted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed', 'partial')", name="status"),
    sa.Index(None, "sync", "id"),
)

watermarks = sa.Table(
    "watermarks",
    metadata,
    sa.Column("sync", SYNC, primary_key=True),
    sa.Column("value", UTCDateTime(), nullable=True),  # a change stamp (timestamp cursors) ...
    sa.Column("token", sa.Text, nullable=True),  # ... or an opaque resume token (token cursors)
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    sa.CheckConstraint("(value IS NULL) <> (token IS NULL)", name="one_kind"),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync", SYNC, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("source_id", ID, nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("error_code", sa.String(200), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'replayed', 'ignored')", name="status"),
    sa.Index(None, "sync", "status", "id"),
    sa.Index(None, "sync", "source_id"),
    sa.Index(None, "sync", "error_code", "status", "id"),  # open letters of one code, by id (0003)
    # At most one *open* dead letter per record: the bump-on-refailure upsert targets this.
    sa.Index(
        "uq_dead_letters_open",
        "sync",
        "source_id",
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    ),
)

pair_links = sa.Table(
    "pair_links",
    metadata,
    sa.Column("pair", SYNC, primary_key=True),
    sa.Column("a_id", ID, primary_key=True),
    sa.Column("b_id", ID, nullable=False),
    sa.Column("a_values", sa.JSON, nullable=False),  # side a's last synced values, its read form
    sa.Column("b_values", sa.JSON, nullable=False),
    sa.Column("a_stamp", UTCDateTime(), nullable=True),  # side a's change stamp at that sync
    sa.Column("b_stamp", UTCDateTime(), nullable=True),
    sa.Column("a_state", sa.String(16), nullable=False, server_default="active"),  # per-side tombstone
    sa.Column("b_state", sa.String(16), nullable=False, server_default="active"),
    sa.Column("synced_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("a_state IN ('active', 'deleted')", name="a_state"),
    sa.CheckConstraint("b_state IN ('active', 'deleted')", name="b_state"),
    sa.Index("uq_pair_links_pair_b_id", "pair", "b_id", unique=True),
)

sync_locks = sa.Table(
    "sync_locks",
    metadata,
    sa.Column("sync", SYNC, primary_key=True),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("acquired_at", UTCDateTime(), nullable=False),
    sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

# One row per reconciliation (officebridge.reconcile): what a direct comparison of both systems
# found, counted by the comparison itself and never by the runs' own counters (0005).
reconciliations = sa.Table(
    "reconciliations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sync", SYNC, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="sync"),  # a directional sync or a pair
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("count_checked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_linked", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_missing", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_broken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_extra", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_drifted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_unreadable", sa.Integer, nullable=False, server_default="0"),
    sa.Column("count_repaired", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.CheckConstraint("status IN ('running', 'clean', 'drift', 'repaired', 'failed')", name="status"),
    sa.Index(None, "sync", "id"),
)

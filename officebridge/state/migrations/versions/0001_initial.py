"""Initial state store: links, runs, watermarks, dead letters, sync locks.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out by hand (not imported from the models) so that this revision
# keeps meaning what it meant when later revisions change the models.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("source_hash", sa.String(128), nullable=True),
        sa.Column("target_hash", sa.String(128), nullable=True),
        sa.Column("synced_at", UTC_DATETIME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.CheckConstraint("state IN ('active', 'deleted')", name="ck_links_state"),
        sa.PrimaryKeyConstraint("sync", "source_id", name="pk_links"),
    )
    op.create_index("ix_links_sync_target_id", "links", ["sync", "target_id"])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        *[
            sa.Column(f"count_{name}", sa.Integer, nullable=False, server_default="0")
            for name in ("read", "created", "updated", "unchanged", "skipped", "failed", "deleted")
        ],
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed', 'partial')", name="ck_runs_status"),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_sync_id", "runs", ["sync", "id"])

    op.create_table(
        "watermarks",
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("value", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_watermarks_run_id_runs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("sync", name="pk_watermarks"),
    )

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("error_code", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("status IN ('open', 'replayed', 'ignored')", name="ck_dead_letters_status"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_dead_letters_run_id_runs", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    )
    op.create_index("ix_dead_letters_sync_status_id", "dead_letters", ["sync", "status", "id"])
    op.create_index("ix_dead_letters_sync_source_id", "dead_letters", ["sync", "source_id"])
    op.create_index(
        "uq_dead_letters_open",
        "dead_letters",
        ["sync", "source_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )

    op.create_table(
        "sync_locks",
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("acquired_at", UTC_DATETIME, nullable=False),
        sa.Column("heartbeat_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("sync", name="pk_sync_locks"),
    )


def downgrade() -> None:
    op.drop_table("sync_locks")
    op.drop_index("uq_dead_letters_open", table_name="dead_letters")
    op.drop_index("ix_dead_letters_sync_source_id", table_name="dead_letters")
    op.drop_index("ix_dead_letters_sync_status_id", table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_table("watermarks")
    op.drop_index("ix_runs_sync_id", table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_links_sync_target_id", table_name="links")
    op.drop_table("links")

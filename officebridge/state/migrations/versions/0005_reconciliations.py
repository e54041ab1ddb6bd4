"""Reconciliations: the counts each direct comparison of a sync's two systems found.

`officebridge reconcile` reads both systems over a sync's scope and counts
missing, broken, extra and drifted records; a row per reconciliation keeps
those counts (and, in `detail`, the drifted field names, the report paths and
what a repair did), so the Syncs view can show the last one beside the last
run. Only a table is added: nothing existing is rewritten, and the downgrade
drops it again.

Revision ID: 0005_reconciliations
Revises: 0004_pair_links
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reconciliations"
down_revision: str | None = "0004_pair_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # written out by hand, as in 0001
COUNTS = ("checked", "linked", "missing", "broken", "extra", "drifted", "unreadable", "repaired")
STATUSES = "status IN ('running', 'clean', 'drift', 'repaired', 'failed')"


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("sync", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="sync"),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        *(sa.Column(f"count_{name}", sa.Integer, nullable=False, server_default="0") for name in COUNTS),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.CheckConstraint(STATUSES, name="ck_reconciliations_status"),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliations"),
    )
    op.create_index("ix_reconciliations_sync_id", "reconciliations", ["sync", "id"])


def downgrade() -> None:
    op.drop_index("ix_reconciliations_sync_id", table_name="reconciliations")
    op.drop_table("reconciliations")

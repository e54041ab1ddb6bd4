"""Pair links: one row per pair of records kept in step by a two-way sync.

A directional link says "source record S became target record T". A pair link
is read by both directions of a two-way sync: the ids on side a and side b,
for each side the last synced values of the fields the pair shares (in that
side's read form: a value read back equal to it is an echo, not a change), the
side's change stamp at that sync and its state (a per-side tombstone: which
side deleted). The directional `links` table is not touched: a pair that
starts from existing directional syncs copies their links (`adopt_links`), so
nothing is lost and the directional syncs keep working.

Revision ID: 0004_pair_links
Revises: 0003_dead_letter_code_index
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from officebridge.state.schema import UTCDateTime

revision: str = "0004_pair_links"
down_revision: str | None = "0003_dead_letter_code_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pair_links",
        sa.Column("pair", sa.String(200), nullable=False),
        sa.Column("a_id", sa.String(255), nullable=False),
        sa.Column("b_id", sa.String(255), nullable=False),
        sa.Column("a_values", sa.JSON, nullable=False),
        sa.Column("b_values", sa.JSON, nullable=False),
        sa.Column("a_stamp", UTCDateTime(), nullable=True),
        sa.Column("b_stamp", UTCDateTime(), nullable=True),
        sa.Column("a_state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("b_state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("a_state IN ('active', 'deleted')", name="ck_pair_links_a_state"),
        sa.CheckConstraint("b_state IN ('active', 'deleted')", name="ck_pair_links_b_state"),
        sa.PrimaryKeyConstraint("pair", "a_id", name="pk_pair_links"),
    )
    op.create_index("uq_pair_links_pair_b_id", "pair_links", ["pair", "b_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_pair_links_pair_b_id", table_name="pair_links")
    op.drop_table("pair_links")

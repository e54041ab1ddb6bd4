"""Watermarks may be opaque resume tokens as well as change stamps.

A connector with a token cursor (contract v2, `CursorKind.TOKEN`) resumes
from the `Page.resume` token of the last committed page, which is text, not
a time. The `watermarks` row gains a `token` column and `value` becomes
nullable; a check keeps exactly one of the two set. Existing rows keep their
time untouched (the upgrade loses nothing). A downgrade cannot represent a
token, so it removes token rows (those syncs read everything again, which
links and hashes make safe) and restores NOT NULL on `value`.

Revision ID: 0002_token_watermarks
Revises: 0001_initial
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_token_watermarks"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # written out by hand, as in 0001
ONE_KIND = "(value IS NULL) <> (token IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("watermarks") as batch:  # SQLite rebuilds the table; rows are copied
        batch.add_column(sa.Column("token", sa.Text, nullable=True))
        batch.alter_column("value", existing_type=UTC_DATETIME, nullable=True)
        batch.create_check_constraint("ck_watermarks_one_kind", ONE_KIND)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM watermarks WHERE token IS NOT NULL"))
    with op.batch_alter_table("watermarks") as batch:
        batch.drop_constraint("ck_watermarks_one_kind", type_="check")
        batch.alter_column("value", existing_type=UTC_DATETIME, nullable=False)
        batch.drop_column("token")

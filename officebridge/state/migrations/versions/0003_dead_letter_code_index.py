"""An index for the open letters of one error code (the writes of unknown outcome a run settles).

Every run asks for its sync's open letters of code OUTCOME_UNKNOWN, touched
before or after the settle time. With only (sync, status, id) to go by, the
database walked every open letter of the sync to find those few: 30-70 ms per
question at 100,000 open letters of other codes. (sync, error_code, status, id)
answers both from the index: the letters of that code only, in id order for the
keyset pages. Only an index is added: nothing is
rewritten, and the downgrade drops it again.

Revision ID: 0003_dead_letter_code_index
Revises: 0002_token_watermarks
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_dead_letter_code_index"
down_revision: str | None = "0002_token_watermarks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_dead_letters_sync_error_code_status_id"


def upgrade() -> None:
    op.create_index(NAME, "dead_letters", ["sync", "error_code", "status", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="dead_letters")

"""Bring a state database to the schema this officebridge expects.

Alembic is driven from code with the migration scripts shipped inside the
package, so an installed wheel migrates its own store with no alembic.ini
and no working-directory assumptions. A database stamped with a revision we
do not ship (written by a newer officebridge) is refused, never guessed at.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from officebridge.errors import StateError
from officebridge.state.engine import IMMEDIATE, masked
from officebridge.state.schema import VERSION_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"

# Alembic's `context` and `op` are module-level proxies: two threads of one
# process must not run migrations at once. Other processes are kept apart by
# the database (advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite).
_IN_PROCESS = threading.Lock()


def alembic_config() -> Config:
    """An Alembic config pointing at the shipped migrations (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the state store ships at least one migration"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is stamped with (None for an empty database)."""
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def ensure_schema(engine: Engine, *, migrate: bool = True) -> str:
    """Upgrade to head (or, with migrate=False, check the database is at head); return the revision."""
    where = masked(engine.url)
    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        conn.rollback()
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise StateError(
            f"state database {where} is at revision {current!r}, which this officebridge does not know "
            f"(latest known: {head!r}); it was probably migrated by a newer officebridge"
        )
    if current == head:
        return head
    if not migrate:
        raise StateError(
            f"state database {where} is at revision {current or 'none (empty)'}, not {head!r}; "
            "open it with migrate=True to upgrade"
        )
    config = alembic_config()
    with _IN_PROCESS, engine.connect() as conn:
        config.attributes["connection"] = conn.execution_options(**{IMMEDIATE: True})
        command.upgrade(config, "head")
    return head

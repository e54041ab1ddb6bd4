"""Alembic environment of the state store.

Configured from code (`officebridge.state.migrate`), never from an alembic.ini:
the caller passes an open connection in `config.attributes["connection"]`. On
PostgreSQL the migration holds a transaction-scoped advisory lock, so several
workers opening a fresh store at once migrate it exactly once; on SQLite the
caller's `BEGIN IMMEDIATE` does the same.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from officebridge.state.schema import VERSION_TABLE, metadata

# An arbitrary constant naming "officebridge state migration" among advisory locks.
ADVISORY_LOCK_KEY = 0x0FB5_7A7E


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run state migrations through officebridge.state.migrate, which passes a connection"
        )
    _run(connection)


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported for the state store")
main()

"""Small SQL helpers shared by the state store's modules.

Upserts use `INSERT ... ON CONFLICT`, which SQLite and PostgreSQL share with
the same SQLAlchemy API; they make every write a single race-free statement.
Those are the two supported backends (and the two the tests run against);
another dialect is refused when the store is opened rather than half-working.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from officebridge.secrets import redact

SUPPORTED_DIALECTS: Final = ("sqlite", "postgresql")
IN_CHUNK: Final = 500  # keeps IN lists well under every driver's bound-parameter limit

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(items: Sequence[str]) -> list[str]:
    """The items without repeats, in first-seen order (IN lists and upserts need no duplicates)."""
    return list(dict.fromkeys(items))


def upsert(conn: Connection, table: sa.TableClause) -> Any:
    """A dialect `insert()` construct offering `.on_conflict_do_update()` / `.excluded`."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"state store does not support the {conn.dialect.name} dialect")


def driver_execute(conn: Connection, sql: str, params: Any) -> list[Any]:
    """Run `sql` on the driver's own cursor, in the transaction `conn` holds; its rows (or []).

    For the statements commit_batch makes per chunk: SQLAlchemy's execution and result
    objects cost more than these small statements. A driver error is raised as
    SQLAlchemy would raise it (parameters hidden), so callers handle one kind of error.
    """
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description is not None else []
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, None, exc, dbapi.Error, hide_parameters=True, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with known secrets masked in every string."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value

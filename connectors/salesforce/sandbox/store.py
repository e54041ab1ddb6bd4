"""SQLite storage for the sandbox: one table per sObject, laid out from the describe.

Every request thread goes through one connection guarded by one re-entrant lock,
which keeps SQLite access thread-safe and lets a composite call run as a single
transaction (needed for allOrNone rollback). Values are stored in the form the
API returns them (datetimes as `2026-01-02T03:04:05.000+0000`, fixed width, so
text order is time order), which makes SOQL comparisons plain SQL comparisons.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.salesforce.sandbox.ids import make_id
from connectors.salesforce.sandbox.schema import Catalog, ObjectSpec

DELETED_AT = "_deleted_at"  # internal column: when the record went to the recycle bin
DEMO_USER_ID = "0055g00000AbCdEAAV"


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def q(name: str) -> str:
    """Quote an SQL identifier (names come from the describe, never from the request)."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """The sandbox database. Call its methods from any thread."""

    def __init__(self, path: Path, catalog: Catalog) -> None:
        self.catalog = catalog
        self.lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)
        self._depth = 0
        self._create_tables()

    # -- layout -------------------------------------------------------------------------------
    def _create_tables(self) -> None:
        with self.lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS _seq (object TEXT PRIMARY KEY, value INTEGER)")
            for spec in self.catalog.objects.values():
                cols = ", ".join(f"{q(f.name)} {f.sql_type}" for f in spec.stored_fields)
                if "IsDeleted" not in spec.fields:  # User: never deleted, but every query filters on it
                    cols += ', "IsDeleted" INTEGER NOT NULL DEFAULT 0'
                table = q(spec.name)
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, {q(DELETED_AT)} TEXT)")
                self._db.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "{spec.name}_id" ON {table} ("Id")')
                self._db.execute(
                    f'CREATE INDEX IF NOT EXISTS "{spec.name}_stamp" ON {table} ("SystemModstamp", "Id")'
                )
                for f in spec.fields.values():
                    if f.external_id and f.stored:
                        self._db.execute(
                            f'CREATE INDEX IF NOT EXISTS "{spec.name}_{f.name}" ON {table} ({q(f.name)})'
                        )
                if "AccountId" in spec.fields:
                    self._db.execute(f'CREATE INDEX IF NOT EXISTS "{spec.name}_acc" ON {table} ("AccountId")')

    def reset(self) -> None:
        with self.lock:
            for spec in self.catalog.objects.values():
                self._db.execute(f"DELETE FROM {q(spec.name)}")
            self._db.execute("DELETE FROM _seq")

    # -- transactions and raw access ----------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A (nestable) write transaction; the outermost level commits or rolls back."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo one record's partial changes without ending the surrounding transaction."""
        with self.lock:
            self._db.execute("SAVEPOINT rec")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK TO rec")
                self._db.execute("RELEASE rec")
                raise
            self._db.execute("RELEASE rec")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            cur = self._db.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.lock:
            return self._db.execute(sql, params).rowcount

    # -- ids and timestamps -------------------------------------------------------------------
    def next_ids(self, spec: ObjectSpec, count: int) -> list[str]:
        with self.lock:
            row = self._db.execute("SELECT value FROM _seq WHERE object = ?", (spec.name,)).fetchone()
            start = row[0] if row else 0
            self._db.execute(
                "INSERT INTO _seq(object, value) VALUES (?, ?) "
                "ON CONFLICT(object) DO UPDATE SET value = excluded.value",
                (spec.name, start + count),
            )
        return [make_id(spec.key_prefix, start + i + 1) for i in range(count)]

    def stamp(self) -> str:
        """Now, in milliseconds, strictly after the previous stamp so every write changes it."""
        with self.lock:
            clock = datetime.now(UTC)
            now = clock.replace(microsecond=clock.microsecond // 1000 * 1000)
            if now <= self._last_stamp:
                now = self._last_stamp + timedelta(milliseconds=1)
            self._last_stamp = now
            return format_datetime(now)

    # -- rows ---------------------------------------------------------------------------------
    def insert_rows(self, spec: ObjectSpec, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        present: set[str] = set()
        for row in rows:
            present.update(row)
        # only the columns some row sets: unset columns stay NULL, and binding fewer values is much faster
        names = [f.name for f in spec.stored_fields if f.name in present]
        sql = (
            f"INSERT INTO {q(spec.name)} ({', '.join(q(n) for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        with self.lock:
            self._db.executemany(sql, [[row.get(n) for n in names] for row in rows])

    def update_row(self, spec: ObjectSpec, record_id: str, values: dict[str, Any]) -> None:
        if not values:
            return
        sets = ", ".join(f"{q(k)} = ?" for k in values)
        self.execute(f'UPDATE {q(spec.name)} SET {sets} WHERE "Id" = ?', [*values.values(), record_id])

    def get_row(self, spec: ObjectSpec, record_id: str) -> dict[str, Any] | None:
        rows = self.query(f'SELECT * FROM {q(spec.name)} WHERE "Id" = ?', (record_id,))
        return dict(rows[0]) if rows else None

    def find_ids(self, spec: ObjectSpec, field: str, value: Any, include_deleted: bool = False) -> list[str]:
        sql = f'SELECT "Id" FROM {q(spec.name)} WHERE {q(field)} = ?'
        if not include_deleted:
            sql += ' AND "IsDeleted" = 0'
        return [r[0] for r in self.query(sql, (value,))]

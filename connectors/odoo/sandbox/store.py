"""SQLite storage of the sandbox: one table per model, one lock for all calls.

Odoo runs each RPC call in its own database transaction; the sandbox does the
same by holding one re-entrant lock and one SQLite transaction per call
(`Store.transaction`). Serialising calls is plenty for a loopback test server
and keeps SQLite access thread-safe under the threaded HTTP server. Indexes on
(write_date, id) make keyset paging over 100k records cheap.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.odoo.sandbox.catalog import SQL_TYPES, registry

REFERENCE_MODELS = (
    "res.country",
    "res.country.state",
    "res.partner.industry",
    "res.users",
    "ir.model",
    "res.currency",
    "account.journal",
    "crm.stage",
)


def _sql_lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    """Unicode-aware lower(): SQLite's own only folds ASCII ("MÜLLER" must ilike "müller")."""
    return value.lower() if isinstance(value, str) else value


class Store:
    """The sandbox database file and the lock that serialises access to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA case_sensitive_like=ON")  # `like` is case-sensitive in PostgreSQL
        self.conn.create_function("ob_lower", 1, _sql_lower, deterministic=True)
        self.create_schema()

    def create_schema(self) -> None:
        with self.lock:
            for spec in registry().values():
                cols = ", ".join(f'"{c}" {SQL_TYPES.get(t, "TEXT")}' for c, t in spec.columns.items())
                self.conn.execute(
                    f'CREATE TABLE IF NOT EXISTS "{spec.table}" '
                    f"(id INTEGER PRIMARY KEY AUTOINCREMENT, {cols})"
                )
                self.conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{spec.table}__write_date_id" '
                    f'ON "{spec.table}" (write_date, id)'
                )
                for col, odoo_type in spec.columns.items():
                    if odoo_type == "many2one" and col not in ("create_uid", "write_uid"):
                        self.conn.execute(
                            f'CREATE INDEX IF NOT EXISTS "{spec.table}__{col}" ON "{spec.table}" ("{col}")'
                        )
                for m2m in spec.many2many.values():
                    self.conn.execute(
                        f'CREATE TABLE IF NOT EXISTS "{m2m.table}" ("{m2m.column}" INTEGER NOT NULL, '
                        f'"{m2m.other}" INTEGER NOT NULL, PRIMARY KEY ("{m2m.column}", "{m2m.other}"))'
                    )
            for col in ("name", "ref", "email", "vat", "complete_name"):
                self.conn.execute(f'CREATE INDEX IF NOT EXISTS "res_partner__{col}" ON res_partner ("{col}")')
            self.conn.execute('CREATE UNIQUE INDEX IF NOT EXISTS "res_country__code" ON res_country (code)')
            self.conn.execute(
                'CREATE UNIQUE INDEX IF NOT EXISTS "ir_model_data__key" ON ir_model_data (module, name)'
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One call = one transaction: commit on success, roll back on any error."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def drop_data(self, keep_reference: bool = True) -> None:
        """Empty the business tables; reference data (countries, users, models) stays."""
        with self.transaction() as conn:
            for spec in registry().values():
                if keep_reference and spec.name in REFERENCE_MODELS:
                    continue
                conn.execute(f'DELETE FROM "{spec.table}"')
                conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", [spec.table])
                for m2m in spec.many2many.values():
                    conn.execute(f'DELETE FROM "{m2m.table}"')

    def close(self) -> None:
        with self.lock:
            self.conn.close()

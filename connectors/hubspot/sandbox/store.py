"""The sandbox's SQLite store: the primary record store, the search index that lags it, associations.

HubSpot's CRM search reads an index that is filled from the primary store a
few seconds after each write, while reads by id (`GET /{id}`, `batch/read`)
see the primary store at once. The store keeps both: `records` is written
synchronously; `indexed` is caught up lazily, before every search, with the
versions written at least `lag` seconds ago, so a just-created record is
missing from search and a just-updated one shows its old values, as in HubSpot.
Archived records stay in `records` (readable with archived=true) and leave the
index. Ids are numeric strings of one length, handed out in order.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from connectors.hubspot.sandbox.values import now_ms

FIRST_ID = 10_000_000_001  # ids of one length, so text order and numeric order agree
COLUMNS = "type, id, props, created_ms, updated_ms, archived, archived_ms, written_ms, version"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS records (type TEXT, id INTEGER, props TEXT, created_ms INTEGER,
  updated_ms INTEGER, archived INTEGER DEFAULT 0, archived_ms INTEGER, written_ms INTEGER,
  version INTEGER, PRIMARY KEY (type, id));
CREATE TABLE IF NOT EXISTS indexed ({COLUMNS.replace("id,", "id INTEGER,")}, PRIMARY KEY (type, id));
CREATE TABLE IF NOT EXISTS associations (from_type TEXT, from_id INTEGER, to_type TEXT, to_id INTEGER,
  type_id INTEGER, PRIMARY KEY (from_type, from_id, to_type, to_id, type_id));
CREATE TABLE IF NOT EXISTS ids (next INTEGER);
"""


@dataclass(slots=True)
class Row:
    type: str
    id: int
    props: dict[str, str | None]
    created_ms: int
    updated_ms: int
    archived: bool
    archived_ms: int | None

    @classmethod
    def of(cls, raw: sqlite3.Row) -> Row:
        return cls(
            raw["type"],
            raw["id"],
            json.loads(raw["props"]),
            raw["created_ms"],
            raw["updated_ms"],
            bool(raw["archived"]),
            raw["archived_ms"],
        )


class Store:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def reset(self) -> None:
        with self.transaction() as db:
            for table in ("records", "indexed", "associations", "ids"):
                db.execute(f"DELETE FROM {table}")

    def next_ids(self, count: int) -> list[int]:
        with self.transaction() as db:
            found = db.execute("SELECT next FROM ids").fetchone()
            start = found["next"] if found else FIRST_ID
            db.execute("DELETE FROM ids")
            db.execute("INSERT INTO ids VALUES (?)", (start + count,))
        return list(range(start, start + count))

    # -- the primary store ------------------------------------------------------------------
    def get(self, type_: str, ids: list[int], *, archived: bool = False) -> dict[int, Row]:
        if not ids:
            return {}
        marks = ",".join("?" for _ in ids)
        with self.lock:
            rows = self._db.execute(
                f"SELECT * FROM records WHERE type = ? AND archived = ? AND id IN ({marks})",
                [type_, int(archived), *ids],
            ).fetchall()
        return {r["id"]: Row.of(r) for r in rows}

    def find(self, type_: str, prop: str, values: list[str], *, archived: bool = False) -> dict[str, Row]:
        """Live records whose `prop` equals one of `values` (case-insensitively), by the value asked for."""
        wanted = {v.casefold(): v for v in values}
        found: dict[str, Row] = {}
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM records WHERE type = ? AND archived = ? AND "
                f"lower(json_extract(props, '$.{prop}')) IN ({','.join('?' for _ in wanted)})",
                [type_, int(archived), *wanted],
            ).fetchall()
        for raw in sorted(rows, key=lambda r: r["id"]):
            row = Row.of(raw)
            key = wanted.get(str(row.props.get(prop) or "").casefold())
            if key is not None:
                found.setdefault(key, row)
        return found

    def put(self, db: sqlite3.Connection, row: Row, *, stamp: int | None = None) -> None:
        """Insert or replace `row` inside a transaction; `stamp` is when it was written (default now)."""
        written = now_ms() if stamp is None else stamp
        db.execute(
            f"INSERT INTO records ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,1) "
            "ON CONFLICT (type, id) DO UPDATE SET "
            "props = excluded.props, updated_ms = excluded.updated_ms, archived = excluded.archived, "
            "archived_ms = excluded.archived_ms, written_ms = excluded.written_ms, version = version + 1",
            (
                row.type,
                row.id,
                json.dumps(row.props),
                row.created_ms,
                row.updated_ms,
                int(row.archived),
                row.archived_ms,
                written,
            ),
        )

    def page(self, type_: str, after: int, limit: int, *, archived: bool) -> list[Row]:
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM records WHERE type = ? AND archived = ? AND id > ? ORDER BY id LIMIT ?",
                (type_, int(archived), after, limit),
            ).fetchall()
        return [Row.of(r) for r in rows]

    def count(self, type_: str, *, archived: bool = False) -> int:
        with self.lock:
            found = self._db.execute(
                "SELECT count(*) FROM records WHERE type = ? AND archived = ?", (type_, int(archived))
            ).fetchone()
        return int(found[0])

    # -- the search index -------------------------------------------------------------------
    def catch_up(self, lag_seconds: float) -> None:
        """Copy into the index every version written at least `lag_seconds` ago."""
        cutoff = now_ms() - int(lag_seconds * 1000)
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO indexed ({COLUMNS}) SELECT {COLUMNS} FROM records r "
                "WHERE r.written_ms <= ? AND r.version > coalesce((SELECT i.version FROM indexed i "
                "WHERE i.type = r.type AND i.id = r.id), 0)",
                (cutoff,),
            )

    def indexed(self, type_: str) -> list[Row]:
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM indexed WHERE type = ? AND archived = 0", (type_,)
            ).fetchall()
        return [Row.of(r) for r in rows]

    # -- associations -----------------------------------------------------------------------
    def associate(self, db: sqlite3.Connection, link: tuple[str, int, str, int, int]) -> None:
        db.execute("INSERT OR IGNORE INTO associations VALUES (?,?,?,?,?)", link)

    def associations(self, from_type: str, from_id: int, to_type: str) -> list[tuple[int, int]]:
        with self.lock:
            rows = self._db.execute(
                "SELECT to_id, type_id FROM associations WHERE from_type = ? AND from_id = ? AND to_type = ?",
                (from_type, from_id, to_type),
            ).fetchall()
        return [(r["to_id"], r["type_id"]) for r in rows]

    def close(self) -> None:
        with self.lock:
            self._db.close()

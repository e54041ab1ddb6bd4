"""The sandbox's SQLite store: one table of JSON records per kind, a change sequence and a clock.

Every write stamps the record with the sandbox clock (`generated_timestamp`,
`updated_at`) and a global change sequence. The sequence orders the cursor
export exactly (no two changes share one), while `generated_timestamp` keeps
Zendesk's whole-second granularity for the time-based export. The clock can be
moved forward (`advance`), so tests can step past the export's one-minute lag
without waiting for it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KINDS = ("organizations", "users", "tickets")
FIRST_ID = {"organizations": 360001000001, "users": 361002000001, "tickets": 1}

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id INTEGER NOT NULL, seq INTEGER NOT NULL, generated INTEGER NOT NULL,
    external_id TEXT, email TEXT, name TEXT, data TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS records_seq ON records (kind, seq);
CREATE INDEX IF NOT EXISTS records_ext ON records (kind, external_id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ticket_events (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ticket_events_at ON ticket_events (at, id);
"""
TRACKED = ("status", "organization_id", "priority", "type", "requester_id", "assignee_id", "subject")


def iso(moment: float) -> str:
    """Zendesk's timestamps: ISO 8601, whole seconds, `Z`."""
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    seq: int
    generated: int
    data: dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self.offset = 0.0  # seconds the sandbox clock runs ahead of the wall clock
        self.export_lag = 60  # seconds the exports hold changes back (Zendesk's: one minute)

    def now(self) -> float:
        return time.time() + self.offset

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _next(self, name: str, first: int) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = first if row is None else int(row[0]) + 1
        self._db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))
        return value

    def new_id(self, kind: str) -> int:
        with self._lock:
            return self._next(f"id:{kind}", FIRST_ID[kind])

    def save(self, kind: str, data: dict[str, Any], *, at: float | None = None) -> dict[str, Any]:
        """Insert or replace `data` (which has its id), stamping it; returns the stored record."""
        with self._lock:
            moment = self.now() if at is None else at
            seq = self._next("seq", 1)
            data = {**data, "updated_at": iso(moment), "generated_timestamp": int(moment)}
            data.setdefault("created_at", iso(moment))
            if kind == "tickets":
                self._audit(data, self.get(kind, int(data["id"])), int(moment))
            self._db.execute(
                "INSERT OR REPLACE INTO records (kind, id, seq, generated, external_id, email, name, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, data["id"], seq, int(moment), data.get("external_id"),
                 (data.get("email") or "").lower() or None, data.get("name"), json.dumps(data)),
            )  # fmt: skip
            return data

    def _audit(self, new: dict[str, Any], old: dict[str, Any] | None, at: int) -> None:
        """One ticket event per ticket change: a Create child per field, or a Change with `previous_value`."""
        children = []
        for name in TRACKED:
            if old is None:
                children.append({"event_type": "Create", name: new.get(name)})
            elif old.get(name) != new.get(name):
                change = {"event_type": "Change", name: new.get(name), "previous_value": old.get(name)}
                children.append(change)
        if not children:
            return
        event_id = self._next("id:ticket_events", 50000000001)
        for n, child in enumerate(children):
            child.update(id=event_id + n + 1, via="Web form", via_reference_id=None)
        self._next_many("id:ticket_events", len(children))
        event = {"id": event_id, "ticket_id": new["id"], "timestamp": at, "created_at": iso(at),
                 "updater_id": -1, "via": "Web form", "system": {}, "event_type": "Audit",
                 "child_events": children, "merged_ticket_ids": []}  # fmt: skip
        self._db.execute(
            "INSERT INTO ticket_events (id, ticket_id, at, data) VALUES (?, ?, ?, ?)",
            (event_id, new["id"], at, json.dumps(event)),
        )

    def _next_many(self, name: str, count: int) -> None:
        self._db.execute("UPDATE counters SET value = value + ? WHERE name = ?", (count, name))

    def ticket_events(self, *, start: int, until: int, limit: int) -> list[dict[str, Any]]:
        """The ticket event export's order: (timestamp, id), from `start` inclusive."""
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM ticket_events WHERE at >= ? AND at <= ? ORDER BY at, id LIMIT ?",
                (start, until, limit),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def organization_tickets(self, org_id: int, *, after_id: int, limit: int) -> list[dict[str, Any]]:
        """Live (not deleted) tickets of one organization by id, after `after_id`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM records WHERE kind = 'tickets' AND id > ?"
                " AND json_extract(data, '$.organization_id') = ?"
                " AND json_extract(data, '$.status') != 'deleted' ORDER BY id LIMIT ?",
                (after_id, org_id, limit),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def remove(self, kind: str, record_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))

    def get(self, kind: str, record_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM records WHERE kind = ? AND id = ?", (kind, record_id)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def find(self, kind: str, column: str, value: str) -> dict[str, Any] | None:
        """The record whose `column` (external_id, email or name) equals `value`, in any case."""
        assert column in ("external_id", "email", "name")
        clause = f"lower({column}) = lower(?)"
        with self._lock:
            row = self._db.execute(
                f"SELECT data FROM records WHERE kind = ? AND {clause} ORDER BY id LIMIT 1", (kind, value)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def changes(self, kind: str, *, after_seq: int, until: int, limit: int) -> list[Row]:
        """Records changed after `after_seq`, generated no later than `until`, in change order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, seq, generated, data FROM records WHERE kind = ? AND seq > ? AND generated <= ?"
                " ORDER BY seq LIMIT ?",
                (kind, after_seq, until, limit),
            ).fetchall()
        return [Row(int(r[0]), int(r[1]), int(r[2]), json.loads(r[3])) for r in rows]

    def first_seq_since(self, kind: str, start_time: int) -> int:
        """The sequence just before the first change generated at or after `start_time`."""
        with self._lock:
            row = self._db.execute(
                "SELECT min(seq) FROM records WHERE kind = ? AND generated >= ?", (kind, start_time)
            ).fetchone()
        return int(row[0]) - 1 if row and row[0] is not None else self.last_seq()

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        return int(row[0]) if row else 0

    def by_time(self, kind: str, *, start: int, until: int, limit: int) -> list[Row]:
        """The time-based export's order: (generated_timestamp, id), from `start` inclusive."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, seq, generated, data FROM records WHERE kind = ? AND generated >= ?"
                " AND generated <= ? ORDER BY generated, id LIMIT ?",
                (kind, start, until, limit),
            ).fetchall()
        return [Row(int(r[0]), int(r[1]), int(r[2]), json.loads(r[3])) for r in rows]

    def many(self, kind: str, column: str, values: Sequence[Any]) -> list[dict[str, Any]]:
        assert column in ("id", "external_id")
        if not values:
            return []
        marks = ", ".join("?" for _ in values)
        if column == "external_id":  # Zendesk's external ids are case-insensitive
            column, marks = "lower(external_id)", ", ".join("lower(?)" for _ in values)
        with self._lock:
            rows = self._db.execute(
                f"SELECT data FROM records WHERE kind = ? AND {column} IN ({marks}) ORDER BY id",
                (kind, *values),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count(self, kind: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM records WHERE kind = ?", (kind,)).fetchone()
        return int(row[0])

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM ticket_events")
            self._db.execute("DELETE FROM counters WHERE name LIKE 'id:%'")

"""Dead letters: records that failed, kept with the stage, the error and the payload.

A record that keeps failing must not pile up one row per run: there is at most
one *open* dead letter per (sync, source_id), enforced by a partial unique
index, and a new failure bumps its attempt count and replaces what it says
(the newest error is the one worth reading). When the record goes through
later, its open letter becomes 'replayed'. Messages and payloads pass through
secret redaction on the way in.

A letter of code IN_FLIGHT marks a create that is being sent by a sync that
cannot find what landed (no match field). Its outcome, committed by the same
run, replaces it without counting a second attempt; when that outcome is a
success, a marker that stood for no earlier failure is deleted rather than
kept as 'replayed' (it never was a failure). A marker still open after its run
stopped is a create that may have landed: a person checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from officebridge.secrets import redact
from officebridge.state._sql import chunks, driver_execute, scrub, unique, upsert
from officebridge.state.records import DEAD_LETTER_STATUSES, DeadLetter, NewDeadLetter
from officebridge.state.schema import dead_letters

IN_FLIGHT = "IN_FLIGHT"  # a create sent whose outcome is not recorded yet (see the module docstring)


def to_dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        sync=row.sync,
        run_id=row.run_id,
        source_id=row.source_id,
        stage=row.stage,
        error_code=row.error_code,
        message=row.message,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add(conn: Connection, sync: str, run_id: int, items: Sequence[NewDeadLetter], now: datetime) -> None:
    latest = {item.source_id: item for item in items}
    if not latest:
        return
    table = dead_letters
    stmt = upsert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.sync, table.c.source_id],
        index_where=sa.text("status = 'open'"),  # literal: a bound value would break executemany
        set_={
            "run_id": stmt.excluded.run_id,
            "stage": stmt.excluded.stage,
            "error_code": stmt.excluded.error_code,
            "message": stmt.excluded.message,
            "payload": stmt.excluded.payload,
            # the outcome of this run's own marker is the same attempt, not another one
            "attempts": sa.case(
                (
                    sa.and_(table.c.error_code == IN_FLIGHT, table.c.run_id == stmt.excluded.run_id),
                    table.c.attempts,
                ),
                else_=table.c.attempts + 1,
            ),
            "updated_at": stmt.excluded.updated_at,
        },
    )
    rows = [
        {
            "sync": sync,
            "run_id": run_id,
            "source_id": item.source_id,
            "stage": item.stage,
            "error_code": item.error_code,
            "message": redact(item.message) if item.message is not None else None,
            "payload": scrub(item.payload),
            "attempts": 1,
            "status": "open",
            "created_at": now,
            "updated_at": now,
        }
        for item in latest.values()
    ]
    conn.execute(stmt, rows)


_ANY_OPEN: dict[str, tuple[str, Any]] = {}  # per dialect: the probe's SQL and its parameters but sync


def any_open(conn: Connection, sync: str) -> bool:
    """Whether `sync` has an open letter at all: one probe of the (sync, status, id) index
    (compiled once per dialect: commit_batch asks it once per chunk)."""
    cached = _ANY_OPEN.get(conn.dialect.name)
    if cached is None:
        stmt = sa.select(dead_letters.c.id).where(
            dead_letters.c.sync == sa.bindparam("sync"), dead_letters.c.status == "open"
        )
        compiled = stmt.limit(1).compile(dialect=conn.dialect)
        order = compiled.positiontup if compiled.positional else None
        cached = _ANY_OPEN[conn.dialect.name] = (str(compiled), (order, dict(compiled.params)))
    sql, (order, defaults) = cached
    named = {**defaults, "sync": sync}
    params: Any = named if order is None else tuple(named[n] for n in order)
    return bool(driver_execute(conn, sql, params))


def resolve(conn: Connection, sync: str, source_ids: Sequence[str], now: datetime) -> None:
    """Mark the open letters of these records 'replayed' (they went through).

    Most batches of most syncs have no open letter: one index probe says so, and
    the batch's ids are not looked up at all. Otherwise the letters of these ids
    are found through the (sync, source_id) index and updated by primary key: an
    UPDATE filtered on status as well let SQLite walk every open letter of the
    sync by (sync, status) instead (80 ms per batch at 100,000 open letters).
    An IN_FLIGHT marker of a first attempt is deleted instead: it never was a failure.
    """
    if not source_ids or not any_open(conn, sync):
        return
    table = dead_letters
    for chunk in chunks(unique(source_ids)):
        found = conn.execute(
            sa.select(table.c.id, table.c.status, table.c.error_code, table.c.attempts).where(
                table.c.sync == sync, table.c.source_id.in_(chunk)
            )
        )
        ids: list[int] = []
        markers: list[int] = []
        for id_, status, code, attempts in found:
            if status == "open":
                (markers if code == IN_FLIGHT and attempts == 1 else ids).append(id_)
        if ids:
            stmt = sa.update(table).where(table.c.id.in_(ids), table.c.status == "open")
            conn.execute(stmt.values(status="replayed", updated_at=now))
        if markers:
            conn.execute(sa.delete(table).where(table.c.id.in_(markers), table.c.status == "open"))


def query(
    conn: Connection, sync: str | None, status: str | None, limit: int, stage: str | None = None
) -> list[DeadLetter]:
    stmt = sa.select(dead_letters)
    if sync is not None:
        stmt = stmt.where(dead_letters.c.sync == sync)
    if status is not None:
        stmt = stmt.where(dead_letters.c.status == status)
    if stage is not None:
        stmt = stmt.where(dead_letters.c.stage == stage)
    stmt = stmt.order_by(dead_letters.c.id.desc()).limit(limit)
    return [to_dead_letter(row) for row in conn.execute(stmt)]


def open_page(
    conn: Connection, sync: str, code: str, *, before: datetime, after_id: int, limit: int
) -> list[DeadLetter]:
    """Open letters of one error code last touched before `before`, by id after `after_id` (a keyset page)."""
    stmt = (
        sa.select(dead_letters)
        .where(
            dead_letters.c.sync == sync,
            dead_letters.c.status == "open",
            dead_letters.c.error_code == code,
            dead_letters.c.updated_at <= before,
            dead_letters.c.id > after_id,
        )
        .order_by(dead_letters.c.id)
        .limit(limit)
    )
    return [to_dead_letter(row) for row in conn.execute(stmt)]


def open_ids(conn: Connection, sync: str, code: str, *, after: datetime) -> set[str]:
    """Source ids with an open letter of this code touched after `after` (writes not settled yet)."""
    stmt = sa.select(dead_letters.c.source_id).where(
        dead_letters.c.sync == sync,
        dead_letters.c.status == "open",
        dead_letters.c.error_code == code,
        dead_letters.c.updated_at > after,
    )
    return set(conn.execute(stmt).scalars())


def get(conn: Connection, id_: int) -> DeadLetter | None:
    row = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == id_)).first()
    return None if row is None else to_dead_letter(row)


def set_status(conn: Connection, ids: Sequence[int], status: str, now: datetime) -> int:
    """Change the status of these letters; returns how many changed.

    Reopening a letter is refused by the partial unique index if that record
    already has another open letter; the caller gets the database's error.
    """
    if status not in DEAD_LETTER_STATUSES:
        raise ValueError(f"dead letter status must be one of {', '.join(DEAD_LETTER_STATUSES)}")
    changed = 0
    for chunk in chunks(sorted(set(ids))):
        result = conn.execute(
            sa.update(dead_letters)
            .where(dead_letters.c.id.in_(chunk), dead_letters.c.status != status)
            .values(status=status, updated_at=now)
        )
        changed += result.rowcount
    return changed

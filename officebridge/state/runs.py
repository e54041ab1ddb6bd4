"""Runs, watermarks and the per-sync summary.

A run row is opened before anything is read and its counts grow inside each
batch's transaction (`commit_batch`), so after a crash the row says exactly
how far the run got. A time watermark only moves forward: the upsert's WHERE
clause compares in the database, so neither a late retry of an old batch nor
a concurrent writer can pull it back. A token watermark (an opaque resume
token of a token cursor) is replaced by each newer commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from officebridge.errors import StateError
from officebridge.secrets import redact
from officebridge.state._sql import driver_execute, scrub, upsert
from officebridge.state.records import COUNT_NAMES, RUN_STATUSES, Run, SyncSummary, Watermark
from officebridge.state.schema import dead_letters, links, runs, watermarks


def to_run(row: Any) -> Run:
    return Run(
        id=row.id,
        sync=row.sync,
        status=row.status,
        trigger=row.trigger,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts={name: getattr(row, f"count_{name}") for name in COUNT_NAMES},
        error=row.error,
        detail=dict(row.detail or {}),
    )


def start(conn: Connection, sync: str, trigger: str, detail: Mapping[str, Any], now: datetime) -> int:
    result = conn.execute(
        sa.insert(runs).values(
            sync=sync, status="running", trigger=trigger, started_at=now, detail=scrub(dict(detail))
        )
    )
    key = result.inserted_primary_key
    assert key is not None, "an INSERT into runs returns its primary key"
    return int(key[0])


def finish(
    conn: Connection,
    run_id: int,
    *,
    status: str,
    error: str | None,
    detail: Mapping[str, Any] | None,
    now: datetime,
) -> Run:
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"a run finishes as succeeded, failed or partial, not {status!r}")
    row = conn.execute(sa.select(runs.c.detail).where(runs.c.id == run_id)).first()
    if row is None:
        raise StateError(f"run {run_id} does not exist in the state store")
    merged = dict(row.detail or {})
    merged.update(scrub(dict(detail or {})))
    conn.execute(
        sa.update(runs)
        .where(runs.c.id == run_id)
        .values(status=status, finished_at=now, error=redact(error) if error else None, detail=merged)
    )
    return to_run(conn.execute(sa.select(runs).where(runs.c.id == run_id)).one())


def check_counts(counts: Mapping[str, int]) -> None:
    unknown = sorted(set(counts) - set(COUNT_NAMES))
    if unknown:
        raise ValueError(f"unknown run count(s) {', '.join(unknown)}; known: {', '.join(COUNT_NAMES)}")


_PREPARED: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}  # (dialect, name): SQL, order


def _run_driver_sql(conn: Connection, name: str, build: Any, params: dict[str, Any]) -> Any:
    """Execute the statement `build()` compiled once per dialect (commit_batch runs these per chunk:
    compiling and processing them each time cost more than the statements themselves)."""
    key = (conn.dialect.name, name)
    cached = _PREPARED.get(key)
    if cached is None:
        compiled = build().compile(dialect=conn.dialect)
        order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        cached = _PREPARED[key] = (str(compiled), order)
    sql, order = cached
    return driver_execute(conn, sql, params if order is None else tuple(params[n] for n in order))


def ensure_run(conn: Connection, sync: str, run_id: int) -> None:
    def build() -> Any:
        return sa.select(runs.c.sync).where(runs.c.id == sa.bindparam("run_id"))

    found = _run_driver_sql(conn, "ensure_run", build, {"run_id": run_id})
    row = found[0] if found else None
    if row is None:
        raise StateError(f"run {run_id} does not exist in the state store (sync {sync!r})")
    if row[0] != sync:
        raise StateError(f"run {run_id} belongs to sync {row[0]!r}, not {sync!r}")


def add_counts(conn: Connection, run_id: int, counts: Mapping[str, int]) -> None:
    """Add to every count of the run in one statement (a count not given adds 0)."""
    if not any(counts.values()):
        return

    def build() -> Any:
        grown = {f"count_{k}": runs.c[f"count_{k}"] + sa.bindparam(k, type_=sa.Integer) for k in COUNT_NAMES}
        return sa.update(runs).where(runs.c.id == sa.bindparam("run_id")).values(**grown)

    params = {k: int(counts.get(k, 0)) for k in COUNT_NAMES}
    _run_driver_sql(conn, "add_counts", build, {**params, "run_id": run_id})


def advance_watermark(conn: Connection, sync: str, run_id: int, value: Watermark, now: datetime) -> None:
    """A time moves the watermark forward only; a token replaces whatever was stored.

    Tokens are opaque (no order can be read from them), and a token watermark is
    only ever committed by the page after the one that stored the previous token.
    A time after a token (the sync changed its cursor kind) replaces it too.
    """
    is_token = isinstance(value, str)
    stmt = upsert(conn, watermarks).values(
        sync=sync,
        value=None if is_token else value,
        token=value if is_token else None,
        updated_at=now,
        run_id=run_id,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[watermarks.c.sync],
        set_={
            "value": stmt.excluded.value,
            "token": stmt.excluded.token,
            "updated_at": stmt.excluded.updated_at,
            "run_id": run_id,
        },
        where=None
        if is_token
        else sa.or_(watermarks.c.value.is_(None), watermarks.c.value < stmt.excluded.value),
    )
    conn.execute(stmt)


def watermark(conn: Connection, sync: str) -> Watermark | None:
    row = conn.execute(
        sa.select(watermarks.c.value, watermarks.c.token).where(watermarks.c.sync == sync)
    ).first()
    return None if row is None else stored_mark(row.value, row.token)


def stored_mark(value: datetime | None, token: str | None) -> Watermark | None:
    return token if token is not None else value


def recent(conn: Connection, sync: str | None, limit: int) -> list[Run]:
    stmt = sa.select(runs)
    if sync is not None:
        stmt = stmt.where(runs.c.sync == sync)
    return [to_run(row) for row in conn.execute(stmt.order_by(runs.c.id.desc()).limit(limit))]


def summaries(conn: Connection) -> list[SyncSummary]:
    """One summary per sync found in any table, in a fixed number of queries."""
    names: set[str] = set()
    for table in (runs, watermarks, links, dead_letters):
        names.update(conn.execute(sa.select(table.c.sync).distinct()).scalars())
    latest_ids = sa.select(sa.func.max(runs.c.id)).group_by(runs.c.sync)
    last = {row.sync: to_run(row) for row in conn.execute(sa.select(runs).where(runs.c.id.in_(latest_ids)))}
    stored = conn.execute(sa.select(watermarks.c.sync, watermarks.c.value, watermarks.c.token))
    marks = {sync: stored_mark(value, token) for sync, value, token in stored}
    active = sa.select(links.c.sync, sa.func.count()).where(links.c.state == "active").group_by(links.c.sync)
    link_counts: dict[str, int] = {sync: n for sync, n in conn.execute(active)}
    still_open = (
        sa.select(dead_letters.c.sync, sa.func.count())
        .where(dead_letters.c.status == "open")
        .group_by(dead_letters.c.sync)
    )
    open_counts: dict[str, int] = {sync: n for sync, n in conn.execute(still_open)}
    return [
        SyncSummary(
            sync=name,
            last_run=last.get(name),
            watermark=marks.get(name),
            links=int(link_counts.get(name, 0)),
            open_dead_letters=int(open_counts.get(name, 0)),
        )
        for name in sorted(names)
    ]

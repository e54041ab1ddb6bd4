"""The link table: which target record each source record became (the binder).

Lookups come in batches because the sync works in batches: one statement per
chunk of ~500 ids, never one per record. Writes are upserts keyed by
(sync, source_id), so replaying a batch after a crash converges instead of
duplicating. Full scans page by key (keyset), so a million links stream in
bounded memory and no connection is held while the caller works on a page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from officebridge.state._sql import chunks, unique, upsert
from officebridge.state.records import Link, LinkWrite
from officebridge.state.schema import links

_COLUMNS = (
    links.c.sync,
    links.c.source_id,
    links.c.target_id,
    links.c.source_hash,
    links.c.target_hash,
    links.c.synced_at,
    links.c.state,
)


def to_link(row: Any) -> Link:
    return Link(
        sync=row.sync,
        source_id=row.source_id,
        target_id=row.target_id,
        source_hash=row.source_hash,
        target_hash=row.target_hash,
        synced_at=row.synced_at,
        state=row.state,
    )


def by_source(conn: Connection, sync: str, source_ids: Sequence[str]) -> dict[str, Link]:
    found: dict[str, Link] = {}
    for chunk in chunks(unique(source_ids)):
        query = sa.select(*_COLUMNS).where(links.c.sync == sync, links.c.source_id.in_(chunk))
        for row in conn.execute(query):
            found[row.source_id] = to_link(row)
    return found


def target_ids(conn: Connection, sync: str, source_ids: Sequence[str]) -> dict[str, str]:
    """Active links only: a deleted link's target is no longer something to point at."""
    found: dict[str, str] = {}
    for chunk in chunks(unique(source_ids)):
        query = sa.select(links.c.source_id, links.c.target_id).where(
            links.c.sync == sync, links.c.state == "active", links.c.source_id.in_(chunk)
        )
        for source_id, target_id in conn.execute(query):
            found[source_id] = target_id
    return found


def by_target(conn: Connection, sync: str, target_ids_: Sequence[str]) -> dict[str, Link]:
    """Links keyed by target id; if several sources point at one target, the active one wins."""
    found: dict[str, Link] = {}
    for chunk in chunks(unique(target_ids_)):
        query = (
            sa.select(*_COLUMNS)
            .where(links.c.sync == sync, links.c.target_id.in_(chunk))
            .order_by(links.c.source_id)
        )
        for row in conn.execute(query):
            link = to_link(row)
            held = found.get(link.target_id)
            if held is None or (held.state != "active" and link.state == "active"):
                found[link.target_id] = link
    return found


def iterate(engine: Engine, sync: str, batch: int, state: str | None) -> Iterator[list[Link]]:
    after: str | None = None
    while True:
        query = sa.select(*_COLUMNS).where(links.c.sync == sync)
        if state is not None:
            query = query.where(links.c.state == state)
        if after is not None:
            query = query.where(links.c.source_id > after)
        query = query.order_by(links.c.source_id).limit(batch)
        with engine.connect() as conn:
            page = [to_link(row) for row in conn.execute(query)]
        if not page:
            return
        yield page
        if len(page) < batch:
            return
        after = page[-1].source_id


def write(conn: Connection, sync: str, writes: Sequence[LinkWrite], now: datetime) -> None:
    latest = {w.source_id: w for w in writes}  # one row per key, or ON CONFLICT hits a row twice
    if not latest:
        return
    stmt = upsert(conn, links)
    stmt = stmt.on_conflict_do_update(
        index_elements=[links.c.sync, links.c.source_id],
        set_={
            "target_id": stmt.excluded.target_id,
            "source_hash": stmt.excluded.source_hash,
            "target_hash": stmt.excluded.target_hash,
            "synced_at": stmt.excluded.synced_at,
            "state": stmt.excluded.state,
        },
    )
    rows = [
        {
            "sync": sync,
            "source_id": w.source_id,
            "target_id": w.target_id,
            "source_hash": w.source_hash,
            "target_hash": w.target_hash,
            "synced_at": now,
            "state": "active",
        }
        for w in latest.values()
    ]
    conn.execute(stmt, rows)


def mark_deleted(conn: Connection, sync: str, source_ids: Sequence[str], now: datetime) -> None:
    for chunk in chunks(unique(source_ids)):
        conn.execute(
            sa.update(links)
            .where(links.c.sync == sync, links.c.source_id.in_(chunk))
            .values(state="deleted", synced_at=now)
        )

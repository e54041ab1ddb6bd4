"""The pair-link table of two-way syncs: one row per pair of records, read from either side.

Lookups come in chunks of ids of one side (a run reads its own side's ids);
writes are upserts keyed by (pair, a_id), so a replayed chunk converges. The
unique (pair, b_id) index keeps one record of side b from being paired twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from officebridge.state._sql import chunks, unique, upsert
from officebridge.state.records import PairLink
from officebridge.state.schema import dead_letters, links, pair_links

_COLUMNS = [c for c in pair_links.columns if c.name != "synced_at"]


def _to_link(row: Any) -> PairLink:
    return PairLink(
        pair=row.pair,
        a_id=row.a_id,
        b_id=row.b_id,
        a_values=dict(row.a_values or {}),
        b_values=dict(row.b_values or {}),
        a_stamp=row.a_stamp,
        b_stamp=row.b_stamp,
        a_state=row.a_state,
        b_state=row.b_state,
    )


def by_side(conn: Connection, pair: str, side: str, ids: Sequence[str]) -> dict[str, PairLink]:
    """The pair links of these ids of `side` ('a' or 'b'), keyed by that side's id."""
    column = pair_links.c.a_id if side == "a" else pair_links.c.b_id
    found: dict[str, PairLink] = {}
    for chunk in chunks(unique(ids)):
        query = sa.select(*_COLUMNS).where(pair_links.c.pair == pair, column.in_(chunk))
        for row in conn.execute(query):
            link = _to_link(row)
            found[link.id(side)] = link
    return found


def write(conn: Connection, pair: str, rows: Sequence[PairLink], now: datetime) -> None:
    latest = {r.a_id: r for r in rows}
    if not latest:
        return
    stmt = upsert(conn, pair_links)
    names = [c.name for c in pair_links.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=["pair", "a_id"],
        set_={n: getattr(stmt.excluded, n) for n in names if n not in ("pair", "a_id")},
    )
    conn.execute(
        stmt,
        [
            {
                "pair": pair,
                "a_id": r.a_id,
                "b_id": r.b_id,
                "a_values": r.a_values,
                "b_values": r.b_values,
                "a_stamp": r.a_stamp,
                "b_stamp": r.b_stamp,
                "a_state": r.a_state,
                "b_state": r.b_state,
                "synced_at": now,
            }
            for r in latest.values()
        ],
    )


def remove(conn: Connection, pair: str, a_ids: Sequence[str]) -> int:
    removed = 0
    for chunk in chunks(unique(a_ids)):
        result = conn.execute(
            sa.delete(pair_links).where(pair_links.c.pair == pair, pair_links.c.a_id.in_(chunk))
        )
        removed += result.rowcount or 0
    return removed


def iterate(engine: Engine, pair: str, batch: int) -> Iterator[list[PairLink]]:
    """Every pair link, in pages of `batch` by a_id (keyset: bounded memory, no held connection)."""
    after: str | None = None
    while True:
        query = sa.select(*_COLUMNS).where(pair_links.c.pair == pair)
        if after is not None:
            query = query.where(pair_links.c.a_id > after)
        with engine.connect() as conn:
            page = [_to_link(r) for r in conn.execute(query.order_by(pair_links.c.a_id).limit(batch))]
        if not page:
            return
        yield page
        if len(page) < batch:
            return
        after = page[-1].a_id


def adopt(conn: Connection, pair: str, sync: str, *, a_is_source: bool, now: datetime) -> int:
    """Copy a directional sync's active links as pair links with no known base (already paired: kept).

    The directional rows stay as they are: nothing is lost, and the pair's first
    run settles every field that differs by the field's conflict policy.
    """
    have_a = set(conn.scalars(sa.select(pair_links.c.a_id).where(pair_links.c.pair == pair)))
    have_b = set(conn.scalars(sa.select(pair_links.c.b_id).where(pair_links.c.pair == pair)))
    rows = []
    query = sa.select(links.c.source_id, links.c.target_id).where(
        links.c.sync == sync, links.c.state == "active"
    )
    for source_id, target_id in conn.execute(query):
        a_id, b_id = (source_id, target_id) if a_is_source else (target_id, source_id)
        if a_id in have_a or b_id in have_b:
            continue
        have_a.add(a_id)
        have_b.add(b_id)
        rows.append(PairLink(pair, a_id, b_id, {}, {}))
    write(conn, pair, rows, now)
    return len(rows)


def close_conflict(conn: Connection, letter_id: int, resolution: dict[str, Any], now: datetime) -> None:
    row = conn.execute(sa.select(dead_letters.c.payload).where(dead_letters.c.id == letter_id)).first()
    if row is None:
        return
    payload = {**dict(row.payload or {}), "resolution": resolution}
    conn.execute(
        sa.update(dead_letters)
        .where(dead_letters.c.id == letter_id)
        .values(status="replayed", payload=payload, updated_at=now)
    )

"""The link table: which target record each source record became (the binder).

Lookups come in batches because the sync works in batches: one statement per
chunk of ~500 ids, never one per record. Writes are upserts keyed by
(sync, source_id), so replaying a batch after a crash converges instead of
duplicating. Full scans page by key (keyset), so a million links stream in
bounded memory and no connection is held while the caller works on a page.

The two hot paths of a run (`states`, read for every record planned, and
`write`, for every record written) go through `_RAW`, the same table without
column types: no per-row type processing. The one typed value, `synced_at`,
is converted once per batch by the real column type (`_bound`), so what is
stored is exactly what the typed path stores. `states` reads its rows from the
driver's cursor in one `fetchall` (no result object per row), and `write` sends
one multi-row INSERT per `_ROWS` links (about a third cheaper per row in SQLite
than an executemany of single-row upserts).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from officebridge.state._sql import IN_CHUNK, chunks, driver_execute, unique
from officebridge.state.records import Link, LinkState, LinkWrite
from officebridge.state.schema import links

# the links table without types (see the module docstring); the same names as the typed one
_RAW = sa.table("links", *(sa.column(c.name) for c in links.columns))

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


_STATES_SQL: dict[str, tuple[str, tuple[str, ...] | None]] = {}  # per dialect: SQL, positional order
_STATES_ORDER = ("sync", *(f"id{i}" for i in range(IN_CHUNK)))


def _states_sql(conn: Connection) -> tuple[str, tuple[str, ...] | None]:
    """The link-state read of IN_CHUNK ids, compiled once per dialect (short chunks are padded)."""
    cached = _STATES_SQL.get(conn.dialect.name)
    if cached is None:
        raw = _RAW.c
        ids: list[sa.BindParameter[Any]] = [sa.bindparam(f"id{i}") for i in range(IN_CHUNK)]
        query = sa.select(raw.source_id, raw.target_id, raw.target_hash, raw.state).where(
            raw.sync == sa.bindparam("sync"), raw.source_id.in_(ids)
        )
        compiled = query.compile(dialect=conn.dialect)
        order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        cached = _STATES_SQL[conn.dialect.name] = (str(compiled), order)
    return cached


def states(conn: Connection, sync: str, source_ids: Sequence[str]) -> dict[str, LinkState]:
    """Target id, target hash and state of these source ids' links (planning's read, per record)."""
    found: dict[str, LinkState] = {}
    sql, order = _states_sql(conn)
    plain = order == _STATES_ORDER  # SQLite: sync, then the ids in order
    cursor = conn.connection.cursor()  # the driver's: plain rows, read a chunk at a time
    try:
        for chunk in chunks(unique(source_ids), IN_CHUNK):
            padded = [*chunk, *([chunk[-1]] * (IN_CHUNK - len(chunk)))]  # a repeated id changes nothing
            params: Any
            if plain:
                params = (sync, *padded)
            else:
                named = {"sync": sync, **{f"id{i}": v for i, v in enumerate(padded)}}
                params = named if order is None else tuple(named[name] for name in order)
            cursor.execute(sql, params)
            for source_id, target_id, target_hash, state in cursor.fetchall():
                found[source_id] = LinkState(target_id, target_hash, state)
    finally:
        cursor.close()
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


def _bound(conn: Connection, column: sa.Column[Any], value: Any) -> Any:
    """`value` as the typed column would bind it on this connection's dialect (SQLite: the text
    SQLAlchemy stores, fixed width with microseconds; the driver is given no datetime to adapt)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


_WRITE_COLUMNS = ("sync", "source_id", "target_id", "source_hash", "target_hash", "synced_at", "state")
_ROWS = 999 // len(_WRITE_COLUMNS)  # links per INSERT: within SQLite's oldest bound-parameter limit
_UPSERT_SQL: dict[tuple[str, int], str] = {}  # per (dialect, rows): the multi-row upsert
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # positional markers of the two drivers


def _upsert_sql(conn: Connection, rows: int) -> str:
    """The upsert of `rows` links in one statement, positional, made once per dialect and size.

    Written out rather than compiled: SQLAlchemy compiles a multi-row VALUES with one
    named parameter per cell, which the driver would then have to map back.
    """
    key = (conn.dialect.name, rows)
    cached = _UPSERT_SQL.get(key)
    if cached is None:
        if conn.dialect.name not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"state store does not support the {conn.dialect.name} dialect")
        mark = _MARKERS[conn.dialect.paramstyle]
        row = "(" + ", ".join([mark] * len(_WRITE_COLUMNS)) + ")"
        kept = ", ".join(f"{name} = excluded.{name}" for name in _WRITE_COLUMNS[2:])
        cached = _UPSERT_SQL[key] = (
            f"INSERT INTO links ({', '.join(_WRITE_COLUMNS)}) VALUES {', '.join([row] * rows)} "
            f"ON CONFLICT (sync, source_id) DO UPDATE SET {kept}"
        )
    return cached


def write(conn: Connection, sync: str, writes: Sequence[LinkWrite], now: datetime) -> None:
    latest = {w.source_id: w for w in writes}  # one row per key, or ON CONFLICT hits a row twice
    if not latest:
        return
    stamp = _bound(conn, links.c.synced_at, now)
    rows = list(latest.values())
    for start in range(0, len(rows), _ROWS):
        part = rows[start : start + _ROWS]
        params: list[Any] = []
        for w in part:
            params += (sync, w.source_id, w.target_id, w.source_hash, w.target_hash, stamp, "active")
        driver_execute(conn, _upsert_sql(conn, len(part)), tuple(params))


def mark_deleted(conn: Connection, sync: str, source_ids: Sequence[str], now: datetime) -> None:
    for chunk in chunks(unique(source_ids)):
        conn.execute(
            sa.update(links)
            .where(links.c.sync == sync, links.c.source_id.in_(chunk))
            .values(state="deleted", synced_at=now)
        )

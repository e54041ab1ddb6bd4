"""Forget the person in officebridge's own storage: the state store and the files under OFFICEBRIDGE_HOME.

The erased records' links and dead letters are deleted. Then every text and
JSON column of every table of the state store (found by reflection, so the
tables other features add are covered without telling this module) is
searched for the person's values, and matches are replaced by `[erased]`:
run details and errors, quality samples, reconciliation details, the dead
letters of other records that quote the person (a "duplicate email" check).
All of it in one transaction. On SQLite the file is then rebuilt (VACUUM)
and its write-ahead log emptied, so no old copy survives in free pages.
Report files (HTML, JSON, anything textual) are rewritten in place the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from officebridge.erasure.links import SyncLinks
from officebridge.erasure.records import RecordRef
from officebridge.erasure.values import PersonalValues
from officebridge.state import StateStore
from officebridge.state.engine import write_transaction
from officebridge.state.schema import VERSION_TABLE

PAGE = 500
# folders under OFFICEBRIDGE_HOME that are not officebridge's records: the systems' own data (sandboxes,
# demos), caches of parsed mapping files, and erasure's own log (ids only)
NOT_OURS = frozenset({"sandbox", "demo", "demo-tryton", "tryton", "cache", "dag-cache", "erasure"})
_STATE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".sqlite-wal", ".sqlite-shm")


@dataclass
class Forgotten:
    links: int = 0
    dead_letters: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows whose text held a value
    files: list[str] = field(default_factory=list)  # report files rewritten
    compacted: bool | None = None  # SQLite rebuilt (None: not SQLite, or a dry run)
    warnings: list[str] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.links or self.dead_letters or any(self.rows.values()) or self.files)

    def as_dict(self) -> dict[str, Any]:
        return {"links": self.links, "dead_letters": self.dead_letters, "rows": self.rows,
                "files": self.files, "compacted": self.compacted, "warnings": self.warnings}  # fmt: skip


def forget_in_state(
    store: StateStore,
    graph: SyncLinks,
    records: Collection[RecordRef],
    values: PersonalValues,
    *,
    apply: bool,
) -> Forgotten:
    """Delete the records' links and letters, scrub the values everywhere else (a dry run: count only)."""
    result = Forgotten()
    engine = store.engine
    if not apply:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                _forget(conn, graph, records, values, result)
            finally:
                trans.rollback()  # a dry run counts what would go, and changes nothing
        return result
    with write_transaction(engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = ON")  # freed space is zeroed, not left readable
        _forget(conn, graph, records, values, result)
    if engine.dialect.name == "sqlite" and result.anything:
        result.compacted = _compact(engine, result)
    return result


def _forget(
    conn: Connection,
    graph: SyncLinks,
    records: Collection[RecordRef],
    values: PersonalValues,
    result: Forgotten,
) -> None:
    result.links = graph.forget(conn, records)
    result.dead_letters = graph.forget_letters(conn, records)
    if not len(values):
        return
    meta = sa.MetaData()
    meta.reflect(conn)
    for table in sorted(meta.tables.values(), key=lambda t: t.name):
        if table.name != VERSION_TABLE:
            changed = _scrub_table(conn, table, values)
            if changed:
                result.rows[table.name] = changed


def _textual(column: sa.Column[Any]) -> str | None:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return "json"
    if isinstance(kind, sa.String | sa.Text):
        return "text"
    return None


def _scrub_table(conn: Connection, table: sa.Table, values: PersonalValues) -> int:
    columns = [(c, kind) for c in table.columns if (kind := _textual(c)) is not None]
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return 0
    changed = 0
    for row in _pages(conn, table, keys, [c for c, _ in columns]):
        update: dict[str, Any] = {}
        for column, kind in columns:
            value = row._mapping[column.name]
            if value is None:
                continue
            if kind == "json":
                if isinstance(value, str):  # a JSON column some driver hands back as text
                    value = json.loads(value)
                new, n = values.scrub_json(value)
            else:
                new, n = values.scrub_text(value)
            if n:
                update[column.name] = new
        if update:
            where = sa.and_(*(k == row._mapping[k.name] for k in keys))
            conn.execute(sa.update(table).where(where).values(**update))
            changed += 1
    return changed


def _pages(
    conn: Connection, table: sa.Table, keys: list[sa.Column[Any]], columns: list[sa.Column[Any]]
) -> Iterator[Any]:
    """Every row by primary key, a page at a time (bounded memory whatever the table's size)."""
    wanted = list(dict.fromkeys([*keys, *columns]))
    after: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*wanted).order_by(*keys).limit(PAGE)
        if after is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
        page = list(conn.execute(query))
        yield from page
        if len(page) < PAGE:
            return
        after = tuple(page[-1]._mapping[k.name] for k in keys)


def _compact(engine: Engine, result: Forgotten) -> bool:
    """Rebuild the SQLite file and empty its log, so deleted or replaced values leave no bytes behind."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    except Exception as exc:  # another process holds the file: say so; the values are already gone from rows
        result.warnings.append(f"could not rebuild the SQLite state file ({exc}); run `VACUUM` on it later")
        return False
    finally:
        raw.close()
    if busy:
        result.warnings.append(
            "the SQLite log could not be emptied (a reader holds it); it is on the next checkpoint"
        )
    return not busy


def report_files(home: Path) -> Iterator[Path]:
    """Files officebridge wrote under its home that may quote records (reports, reconciliations, logs)."""
    if not home.is_dir():
        return
    for top in sorted(home.iterdir()):
        if top.name in NOT_OURS or top.name.endswith(_STATE_SUFFIXES) or top.name.endswith(".env"):
            continue
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        yield from (p for p in paths if not p.is_symlink() and not p.name.endswith(_STATE_SUFFIXES))


def forget_in_files(home: Path, values: PersonalValues, result: Forgotten, *, apply: bool) -> None:
    if not len(values):
        return
    for path in report_files(home):
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.warnings.append(f"could not read {path}: {exc.strerror}")
            continue
        if b"\0" in data[:8192]:
            continue  # binary: not a report
        text = data.decode("utf-8", errors="surrogateescape")
        new, n = values.scrub_text(text)
        if not n:
            continue
        result.files.append(str(path))
        if apply:
            tmp = path.with_name(f".{path.name}.erasing")
            tmp.write_bytes(new.encode("utf-8", errors="surrogateescape"))
            os.replace(tmp, path)

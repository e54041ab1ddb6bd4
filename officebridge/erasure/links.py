"""Which records the state store links to a record, and forgetting those links.

`LinkedRecords` is the interface erasure walks; `SyncLinks` answers it from
the links table of directional syncs (a record is the source of a sync's link,
or its target). Sync pairs keep their own link rows; they plug in by offering
the same two methods, and `Linked.role` tells which side a record is on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from officebridge.erasure.records import Linked, RecordRef, Role
from officebridge.mapping.spec import Mapping
from officebridge.state import StateStore
from officebridge.state.schema import dead_letters, links


class LinkedRecords(Protocol):
    """Records linked to a record through officebridge's state, and a way to forget those links."""

    def linked(self, record: RecordRef) -> list[Linked]:
        """Every record a link row pairs with `record`, in any sync (or pair) this source knows."""

    def forget(self, conn: Connection, records: Collection[RecordRef]) -> int:
        """Delete (inside the caller's transaction) every link row with one of `records` on a side."""


def _side_of(m: Mapping, role: str) -> tuple[str, str, str]:
    spec = m.source if role == "source" else m.target
    return (spec.system, spec.connection, spec.object)


class SyncLinks:
    """`LinkedRecords` over the links table, for the syncs of the given mapping files."""

    def __init__(self, store: StateStore, mappings: Sequence[Mapping]) -> None:
        self.store = store
        self.mappings = list(mappings)

    def syncs_of(self, record: RecordRef) -> list[tuple[Mapping, Role]]:
        """The mappings whose source or target object holds `record`, with the role it plays there."""
        roles: tuple[Role, Role] = ("source", "target")
        return [(m, role) for m in self.mappings for role in roles if _side_of(m, role) == record.where]

    def linked(self, record: RecordRef) -> list[Linked]:
        found: list[Linked] = []
        for m, role in self.syncs_of(record):
            other: Role = "target" if role == "source" else "source"
            system, connection, obj = _side_of(m, other)
            if role == "source":
                link = self.store.links(m.name, [record.id]).get(record.id)
                ids = [link.target_id] if link is not None else []
            else:
                ids = self._sources_of(m.name, record.id)
            found += [Linked(RecordRef(system, connection, obj, i), m.name, other) for i in ids]
        return found

    def _sources_of(self, sync: str, target_id: str) -> list[str]:
        """Every source id linked to this target id (several sources may have matched one record)."""
        query = sa.select(links.c.source_id).where(links.c.sync == sync, links.c.target_id == target_id)
        with self.store.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    def forget(self, conn: Connection, records: Collection[RecordRef]) -> int:
        gone = 0
        for sync, role, ids in self._keys(records):
            column = links.c.source_id if role == "source" else links.c.target_id
            result = conn.execute(sa.delete(links).where(links.c.sync == sync, column.in_(ids)))
            gone += int(result.rowcount or 0)
        return gone

    def forget_letters(self, conn: Connection, records: Collection[RecordRef]) -> int:
        """Delete every dead letter (any status) of these records where they are a sync's source."""
        gone = 0
        for sync, role, ids in self._keys(records):
            if role == "source":
                stmt = sa.delete(dead_letters).where(
                    dead_letters.c.sync == sync, dead_letters.c.source_id.in_(ids)
                )
                gone += int(conn.execute(stmt).rowcount or 0)
        return gone

    def _keys(self, records: Iterable[RecordRef]) -> list[tuple[str, str, list[str]]]:
        keyed: dict[tuple[str, str], set[str]] = {}
        for record in records:
            for m, role in self.syncs_of(record):
                keyed.setdefault((m.name, role), set()).add(record.id)
        return [(sync, role, sorted(ids)) for (sync, role), ids in sorted(keyed.items())]

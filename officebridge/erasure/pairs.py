"""Two-way pairs in erasure: their `erasure:` policies and their pair links, beside the directional syncs.

A two-way file declares its policy once (`erasure:` with `identify`, a shared
field, and what happens to the record on side `a` and on side `b`); the loader
gives each of the pair's two directions the matching directional policy (a's
action as the source of `<pair>__a_to_b` and the target of `<pair>__b_to_a`),
so the plan (find by email, walk, decide, refuse a resurrection) treats a pair
like two syncs. Only the links differ: `PairAwareLinks` answers `linked` and
`forget` for the directions from the `pair_links` table, and forgets the
pair's conflicts (dead letters of the pair, keyed by side a's id) too.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from officebridge.erasure.links import SyncLinks
from officebridge.erasure.records import Linked, RecordRef, Role
from officebridge.errors import MappingError
from officebridge.mapping.spec import Mapping
from officebridge.pair.loader import is_pair_file, load_pair
from officebridge.pair.spec import PairMapping, Side, other
from officebridge.state import StateStore
from officebridge.state.schema import dead_letters, pair_links

PAIRS = "pairs"  # the two-way files' folder, under the mappings folder


def load_pairs(mappings_dir: Path) -> list[PairMapping]:
    """Every two-way file of `<mappings>/pairs/`; all their problems raised together."""
    problems = []
    pairs = []
    for path in sorted((mappings_dir / PAIRS).glob("*.y*ml")):
        if not is_pair_file(path):
            continue
        try:
            pairs.append(load_pair(path))
        except MappingError as exc:
            problems.extend(exc.problems)
    if problems:
        raise MappingError(problems)
    return pairs


def directions(pairs: Sequence[PairMapping]) -> list[Mapping]:
    return [m for p in pairs for m in (p.a_to_b, p.b_to_a)]


class PairAwareLinks(SyncLinks):
    """`SyncLinks` over the directional syncs, plus the pair links of the two-way pairs."""

    def __init__(self, store: StateStore, mappings: Sequence[Mapping], pairs: Sequence[PairMapping]) -> None:
        super().__init__(store, [*mappings, *directions(pairs)])
        self.directions: dict[str, tuple[PairMapping, Side]] = {}
        for p in pairs:
            self.directions[p.a_to_b.name] = (p, "a")
            self.directions[p.b_to_a.name] = (p, "b")

    def lock_of(self, sync: str) -> str:
        """The lock a sync's runs hold: a pair's directions share the pair's."""
        found = self.directions.get(sync)
        return found[0].name if found else sync

    def side_of(self, sync: str, role: Role) -> tuple[PairMapping, Side]:
        """The pair of a direction, and the side a record playing `role` in it is on."""
        pair, side_from = self.directions[sync]
        return pair, side_from if role == "source" else other(side_from)

    def linked(self, record: RecordRef) -> list[Linked]:
        found = [link for link in super().linked(record) if link.sync not in self.directions]
        for m, role in self.syncs_of(record):
            if m.name not in self.directions:
                continue
            pair, side = self.side_of(m.name, role)
            link = self.store.pair_links(pair.name, side, [record.id]).get(record.id)
            if link is None:
                continue
            partner: Role = "target" if role == "source" else "source"
            spec = m.target if partner == "target" else m.source
            ref = RecordRef(spec.system, spec.connection, spec.object, link.id(other(side)))
            found.append(Linked(ref, m.name, partner))
        return found

    def _pair_keys(self, records: Collection[RecordRef]) -> dict[tuple[str, Side], set[str]]:
        keyed: dict[tuple[str, Side], set[str]] = {}
        for record in records:
            for m, role in self.syncs_of(record):
                if m.name in self.directions:
                    pair, side = self.side_of(m.name, role)
                    keyed.setdefault((pair.name, side), set()).add(record.id)
        return keyed

    def forget(self, conn: Connection, records: Collection[RecordRef]) -> int:
        gone = super().forget(conn, records)
        for (pair, side), ids in sorted(self._pair_keys(records).items()):
            column = pair_links.c.a_id if side == "a" else pair_links.c.b_id
            stmt = sa.delete(pair_links).where(pair_links.c.pair == pair, column.in_(sorted(ids)))
            gone += int(conn.execute(stmt).rowcount or 0)
        return gone

    def forget_letters(self, conn: Connection, records: Collection[RecordRef]) -> int:
        """The directions' dead letters (as a sync's), and the pair's conflicts of the side-a records."""
        gone = super().forget_letters(conn, records)
        for (pair, side), ids in sorted(self._pair_keys(records).items()):
            if side == "a":
                stmt = sa.delete(dead_letters).where(
                    dead_letters.c.sync == pair, dead_letters.c.source_id.in_(sorted(ids))
                )
                gone += int(conn.execute(stmt).rowcount or 0)
        return gone

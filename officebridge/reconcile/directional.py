"""A directional sync as a reconciliation subject: its source is side A, its target side B.

The scope is what the mapping would sync if it started today: the source
object read without a watermark, with the mapping's native filter and its
`where` applied. The values a target record should hold are what the compiled
mapping makes of the source record now, references resolved exactly as a run
resolves them (`ReferenceResolver`), so a lookup's id compares with the id the
target holds. Records the mapping cannot map (a dead letter's reason) are
counted as unreadable, never as drift.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from officebridge.connector import Connector, FieldKind, ReadRequest, SourceRecord
from officebridge.errors import RecordError
from officebridge.mapping.sensitive import sensitive_sources
from officebridge.reconcile.normal import same
from officebridge.reconcile.subject import Comparison, LinkedIds
from officebridge.state import StateStore
from officebridge.sync.references import ReferenceResolver


class DirectionalSync:
    """Side A = the mapping's source, side B = its target; links are the sync's own."""

    kind = "sync"

    def __init__(self, mapping: Any, compiled: Any, source: Connector, target: Connector, store: StateStore):
        self.mapping = mapping
        self.compiled = compiled
        self.name: str = mapping.name
        self.source, self.target, self.store = source, target, store
        self.sensitive = frozenset(compiled.sensitive) | sensitive_sources(mapping)
        self.a_label = f"{mapping.source.system} {mapping.source.object}"
        self.b_label = f"{mapping.target.system} {mapping.target.object}"
        self.fields = tuple(dict.fromkeys(rule.target for rule in mapping.fields))
        info = target.describe(mapping.target.object)
        self.kinds = {
            name: (info.fields[name].kind if name in info.fields else FieldKind.OTHER) for name in self.fields
        }
        self.wire = target.manifest.wire
        self.references = ReferenceResolver(compiled.lookups, target, store)

    @property
    def expects_every_record(self) -> bool:
        """Mode update writes only records the target already holds: an unlinked source is not missing."""
        return bool(self.mapping.target.mode != "update")

    # --- links -------------------------------------------------------------

    def linked(self, batch: int) -> Iterator[list[LinkedIds]]:
        for page in self.store.iter_links(self.name, batch, state="active"):
            yield [LinkedIds(link.source_id, link.target_id) for link in page]

    def links_of(self, a_ids: Sequence[str]) -> dict[str, str]:
        return self.store.target_ids(self.name, a_ids)

    # --- the two systems ---------------------------------------------------

    def read_a(self, batch: int) -> Iterator[list[SourceRecord]]:
        src = self.mapping.source
        request = ReadRequest(
            object=src.object,
            fields=tuple(self.compiled.source_fields),
            cursor=src.cursor,
            filter=src.filter,
            include_deleted=False,
            batch_size=batch,
        )
        for page in self.source.read(request):
            yield [r for r in page.records if not r.deleted and self._in_scope(r)]

    def _in_scope(self, record: SourceRecord) -> bool:
        """`where` says no (the map returns None): out of scope. A record that fails to map stays in."""
        try:
            return self.compiled.map(record.fields) is not None
        except RecordError:
            return True

    def fetch_a(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        found = self.source.fetch(self.mapping.source.object, list(self.compiled.source_fields), list(ids))
        return {r.id: r for r in found}

    def fetch_b(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        found = self.target.fetch(self.mapping.target.object, list(self.fields), list(ids))
        return {r.id: r for r in found}

    # --- comparing ---------------------------------------------------------

    def compare(self, pairs: Sequence[tuple[SourceRecord, SourceRecord]]) -> list[Comparison]:
        mapped: dict[str, dict[str, Any]] = {}
        problems: dict[str, str] = {}
        for a, _b in pairs:
            try:
                values = self.compiled.map(a.fields)
            except RecordError as exc:
                problems[a.id] = f"{exc.code}: {exc}"
                continue
            if values is not None:
                mapped[a.id] = values
        for source_id, error in self.references.resolve(mapped).items():
            problems[source_id] = f"{error.code}: {error}"
            mapped.pop(source_id, None)
        return [self._compare_one(a, b, mapped.get(a.id), problems.get(a.id)) for a, b in pairs]

    def _compare_one(
        self, a: SourceRecord, b: SourceRecord, values: dict[str, Any] | None, problem: str | None
    ) -> Comparison:
        if values is None:
            return Comparison(a.id, b.id, problem=problem or "filtered out by `where`")
        drifted = tuple(
            name
            for name in self.fields
            if name in values and not same(values[name], b.fields.get(name), self.kinds[name], self.wire)
        )
        return Comparison(
            a.id,
            b.id,
            drifted,
            expected={n: values[n] for n in drifted},
            actual={n: b.fields.get(n) for n in drifted},
        )

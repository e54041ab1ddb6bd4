"""A two-way pair as a reconciliation subject, and its comparison: both sides read, each link once.

Side A is the pair's side a, side B its side b (so `Subject`'s one-way
questions are answered for a -> b), and `check_pair` asks them both ways:

1. each side is read in scope (its object and filter, no watermark), page by
   page; a record with no pair link is *missing* when the other side creates
   records; a link whose partner is gone (or deleted) is *broken*, and its
   record counted missing too; a linked pair is compared once, from side a
   (from side b only when its a record is not in scope);
2. the pair links are paged through: a link neither of whose records was
   seen in scope is *broken* when one of them is gone, else *extra* (both
   exist, both are out of scope).

A link whose pair saw a deletion (a side's state is not active) is the pair's
own decision, never a finding. Drift is per shared field: side a's value
mapped through the field's value map, compared with side b's value in the
pair's normal form (`officebridge.pair.values.normal`), whichever way the
field flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from officebridge.connector import Connector, ReadRequest, SourceRecord
from officebridge.mapping.compiler import CompiledMapping
from officebridge.mapping.sensitive import sensitive_sources
from officebridge.pair.spec import PairField, PairMapping, Side, other
from officebridge.pair.values import normal
from officebridge.reconcile.findings import Findings, shown
from officebridge.reconcile.scratch import Scratch
from officebridge.reconcile.subject import Comparison, LinkedIds
from officebridge.state import StateStore
from officebridge.state.records import PairLink

Beat = Callable[[], None]


def _expected(f: PairField, value: Any) -> Any:
    """Side a's value as side b should hold it (through the value map, a -> b)."""
    if f.value_map is None:
        return value
    for a, b in f.value_map:
        if normal(a) == normal(value):
            return b
    return value


def _live(link: PairLink) -> bool:
    return link.a_state == "active" and link.b_state == "active"


def _gone(record: SourceRecord | None) -> str | None:
    if record is None:
        return "gone"
    return "archived or deleted" if record.deleted else None


class PairSubject:
    """Both systems of a pair and its link table, as reconciliation asks about them."""

    kind = "pair"

    def __init__(  # noqa: PLR0917 - the pair, one compiled direction and connector per side, the store
        self,
        pair: PairMapping,
        a_to_b: CompiledMapping,
        b_to_a: CompiledMapping,
        a: Connector,
        b: Connector,
        store: StateStore,
    ) -> None:
        self.pair, self.store, self.name = pair, store, pair.name
        self.connectors: dict[Side, Connector] = {"a": a, "b": b}
        self.compiled: dict[Side, CompiledMapping] = {"a": a_to_b, "b": b_to_a}
        self.a_label = f"{pair.a.system} {pair.a.object}"
        self.b_label = f"{pair.b.system} {pair.b.object}"
        names: set[str] = set()
        for m, c in ((pair.a_to_b, a_to_b), (pair.b_to_a, b_to_a)):
            names |= set(c.sensitive) | sensitive_sources(m)
        self.sensitive = frozenset(f.name for f in pair.fields if f.a in names or f.b in names) | names

    # --- either side ---------------------------------------------------------

    def fields(self, side: Side) -> list[str]:
        """What is read of a side: the fields the pair keeps and what its direction maps from."""
        return list(dict.fromkeys([*self.pair.kept(side), *self.compiled[side].source_fields]))

    def creates(self, side: Side) -> bool:
        return self.pair.side(side).create

    def read(self, side: Side, batch: int) -> Iterator[list[SourceRecord]]:
        spec = self.pair.side(side)
        request = ReadRequest(
            object=spec.object,
            fields=tuple(self.fields(side)),
            cursor=spec.cursor,
            filter=spec.filter,
            include_deleted=False,
            batch_size=batch,
        )
        for page in self.connectors[side].read(request):
            yield [r for r in page.records if not r.deleted]

    def fetch(self, side: Side, ids: Sequence[str]) -> dict[str, SourceRecord]:
        if not ids:
            return {}
        spec = self.pair.side(side)
        found = self.connectors[side].fetch(spec.object, self.fields(side), list(dict.fromkeys(ids)))
        return {r.id: r for r in found}

    def pair_links(self, side: Side, ids: Sequence[str]) -> dict[str, PairLink]:
        return self.store.pair_links(self.name, side, ids)

    # --- `Subject`, for side a -> side b ---------------------------------------

    @property
    def expects_every_record(self) -> bool:
        return self.creates("b")

    def linked(self, batch: int) -> Iterator[list[LinkedIds]]:
        for page in self.store.iter_pair_links(self.name, batch):
            yield [LinkedIds(link.a_id, link.b_id) for link in page if _live(link)]

    def links_of(self, a_ids: Sequence[str]) -> dict[str, str]:
        return {a: link.b_id for a, link in self.pair_links("a", a_ids).items() if _live(link)}

    def read_a(self, batch: int) -> Iterator[list[SourceRecord]]:
        return self.read("a", batch)

    def fetch_a(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        return self.fetch("a", ids)

    def fetch_b(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        return self.fetch("b", ids)

    def compare(self, pairs: Sequence[tuple[SourceRecord, SourceRecord]]) -> list[Comparison]:
        return [self._compare_one(a, b) for a, b in pairs]

    def _compare_one(self, a: SourceRecord, b: SourceRecord) -> Comparison:
        expected: dict[str, object] = {}
        actual: dict[str, object] = {}
        for f in self.pair.fields:
            want, held = _expected(f, a.fields.get(f.a)), b.fields.get(f.b)
            if normal(want) != normal(held):
                expected[f.name], actual[f.name] = want, held
        return Comparison(a.id, b.id, tuple(expected), expected, actual)


def check_pair(
    subject: PairSubject, scratch: Scratch, *, batch: int = 500, beat: Beat | None = None
) -> Findings:
    """Both sides in scope, then the links none of whose records was in scope; ids found go to `scratch`."""
    findings = Findings()
    for side in ("a", "b"):
        for page in subject.read(side, batch):
            _in_scope(subject, scratch, findings, side, page)
            if beat is not None:
                beat()
    for links in subject.store.iter_pair_links(subject.name, batch):
        live = [link for link in links if _live(link)]
        findings.linked += len(live)
        seen = scratch.seen_among([key for link in live for key in (f"a:{link.a_id}", f"b:{link.b_id}")])
        unseen = [link for link in live if f"a:{link.a_id}" not in seen and f"b:{link.b_id}" not in seen]
        if unseen:
            _out_of_scope(subject, scratch, findings, unseen)
        if beat is not None:
            beat()
    return findings


def _in_scope(
    subject: PairSubject, scratch: Scratch, findings: Findings, side: Side, page: list[SourceRecord]
) -> None:
    there = other(side)
    findings.checked += len(page)
    scratch.see(f"{side}:{r.id}" for r in page)
    links = subject.pair_links(side, [r.id for r in page])
    for r in page:
        if r.id not in links and subject.creates(there):
            scratch.note(f"missing_{side}", r.id)
            findings.add("missing", {f"{side}_id": r.id}, f"no partner on side {there}")
    linked = [r for r in page if r.id in links and _live(links[r.id])]
    if side == "b":  # compared from side a already, unless its a record is out of scope
        done = scratch.seen_among([f"a:{links[r.id].a_id}" for r in linked])
        linked = [r for r in linked if f"a:{links[r.id].a_id}" not in done]
    partners = subject.fetch(there, [links[r.id].id(there) for r in linked])
    pairs: list[tuple[SourceRecord, SourceRecord]] = []
    for r in linked:
        link = links[r.id]
        partner = partners.get(link.id(there))
        why = _gone(partner)
        if why is not None or partner is None:
            scratch.note("broken", link.a_id, link.b_id, side)  # the reason: the side that is still there
            findings.add("broken", {"a_id": link.a_id, "b_id": link.b_id}, f"side {there} {why}")
            findings.add("missing", {f"{side}_id": r.id}, "broken link")
            continue
        pairs.append((r, partner) if side == "a" else (partner, r))
    _drift(subject, scratch, findings, pairs)


def _drift(
    subject: PairSubject, scratch: Scratch, findings: Findings, pairs: list[tuple[SourceRecord, SourceRecord]]
) -> None:
    for c in subject.compare(pairs):
        if not c.drifted:
            continue
        scratch.note("drifted", c.a_id, c.b_id)
        findings.fields.update(c.drifted)
        findings.add("drifted", {"a_id": c.a_id, "b_id": c.b_id, "fields": list(c.drifted),
                                 "expected": shown(c.expected, subject.sensitive),
                                 "actual": shown(c.actual, subject.sensitive)})  # fmt: skip


def _out_of_scope(subject: PairSubject, scratch: Scratch, findings: Findings, links: list[PairLink]) -> None:
    """Links neither of whose records is in scope: gone on a side (broken), or both filtered out (extra)."""
    held_a = subject.fetch("a", [link.a_id for link in links])
    held_b = subject.fetch("b", [link.b_id for link in links])
    for link in links:
        gone_a, gone_b = _gone(held_a.get(link.a_id)), _gone(held_b.get(link.b_id))
        if gone_a is None and gone_b is None:
            scratch.note("extra", link.a_id, link.b_id, "out of scope")
            findings.add("extra", {"a_id": link.a_id, "b_id": link.b_id}, "out of scope")
            continue
        left = "none" if gone_a is not None and gone_b is not None else ("a" if gone_a is None else "b")
        scratch.note("broken", link.a_id, link.b_id, f"out_{left}")  # nothing of it in scope
        why = " and ".join(f"side {s} {w}" for s, w in (("a", gone_a), ("b", gone_b)) if w is not None)
        findings.add("broken", {"a_id": link.a_id, "b_id": link.b_id}, why)

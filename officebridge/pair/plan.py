"""Decide, for one page of one side's changes, what each field of each pair needs.

For a record read on side X (this direction's source) and its partner on side
Y, field by field:

- X did not change the field since the last sync (its value equals X's base):
  nothing, whatever Y did (Y's own direction carries Y's edits);
- X changed it and Y did not (Y's current value equals Y's base): push X's
  value to Y;
- both changed it to the same value: nothing to write, both bases move;
- both changed it differently (or there is no base to tell, on an adopted
  link): a conflict, settled by the field's policy: push (X wins), pull (Y's
  value is written back to X), or, for `manual`, a dead letter of stage
  `conflict` holding both versions and the base, and neither side is touched.

Bases are the values read back from each side after a write, so an echo of our
own write compares equal and is never taken for an edit. Only fields that were
settled move their bases: a conflict left open stays visible from both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from officebridge.connector import SourceRecord
from officebridge.errors import RecordError
from officebridge.pair.spec import PairField
from officebridge.pair.values import MISSING, normal, snapshot
from officebridge.state.records import PairLink

if TYPE_CHECKING:
    from officebridge.pair.run import PairDirection

CREATE, UPDATE, ARCHIVE, DELETE = "create", "update", "archive", "delete"
UNCHANGED, SKIPPED, FAILED = "unchanged", "skipped", "failed"
WRITES = (CREATE, UPDATE, ARCHIVE, DELETE)


@dataclass(slots=True)
class Step:
    """One record of side X and what its pair needs."""

    record: SourceRecord
    link: PairLink | None
    action: str = UNCHANGED
    values: dict[str, Any] = field(default_factory=dict)  # the record mapped to side Y
    push: dict[str, Any] = field(default_factory=dict)  # written to side Y
    pull: dict[str, Any] = field(default_factory=dict)  # written back to side X (the other side won)
    base_from: dict[str, Any] = field(default_factory=dict)  # X's base after this step
    base_to: dict[str, Any] = field(default_factory=dict)
    to_id: str | None = None
    state_from: str = "active"
    state_to: str = "active"
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: RecordError | None = None
    letter: Any = None  # the dead letter of a failed write (made by the run, which knows the sync)
    reason: str = ""
    settle: bool = True  # whether the pair link is written after this step

    @property
    def writes(self) -> bool:
        return self.action in WRITES or bool(self.pull)


class PairPlanner:
    """Plans one direction's pages against the pair links and the partner records."""

    def __init__(self, run: PairDirection) -> None:
        self.run = run
        self.pair = run.pair
        self.side, self.to = run.side, run.to
        self.dst = self.pair.side(self.to)
        self.src = self.pair.side(self.side)
        self.shared = [f for f in self.pair.fields if f.flows(self.side)]
        shared_targets = {f.field(self.to) for f in self.pair.fields}
        self.one_way = [r.target for r in run.mapping.fields if r.target not in shared_targets]

    def plan(self, records: list[SourceRecord]) -> list[Step]:
        run = self.run
        links = run.store.pair_links(self.pair.name, self.side, [r.id for r in records])
        steps = [Step(r, links.get(r.id)) for r in records]
        live = [s for s in steps if not s.record.deleted]
        for s in steps:
            if s.link is not None:
                s.base_from, s.base_to = dict(s.link.values(self.side)), dict(s.link.values(self.to))
                s.to_id, s.state_from, s.state_to = (
                    s.link.id(self.to),
                    s.link.state(self.side),
                    s.link.state(self.to),
                )
            if s.record.deleted:
                self._deleted(s)
        self._already_gone([s for s in steps if s.action in (ARCHIVE, DELETE)])
        self._map(live)
        self._adopt([s for s in live if s.action != FAILED and (s.link is None or s.state_to == "deleted")])
        partners = self._partners([s for s in live if s.action != FAILED and s.to_id is not None])
        for s in live:
            if s.action in (FAILED, CREATE):
                continue
            if s.to_id is None:
                s.action, s.reason, s.settle = (
                    SKIPPED,
                    f"side {self.to} creates no records (create: false)",
                    False,
                )
                continue
            if s.to_id not in partners and self._needs_partner(s):
                self._gone(s)
                continue
            partner = partners.get(s.to_id)
            if partner is not None and partner.deleted:
                s.action, s.settle = SKIPPED, False  # nothing to write into; the link stays as it was
                s.reason = f"the side-{self.to} partner is deleted or archived; the other direction acts"
                continue
            self._fields(s, partner)
        return steps

    # --- per record ----------------------------------------------------------

    def _deleted(self, s: Step) -> None:
        s.action = SKIPPED
        if s.link is None:
            s.reason, s.settle = "deleted; never paired", False
            return
        already = s.state_from == "deleted"
        s.state_from = "deleted"
        if s.state_to == "deleted":
            s.reason = "deleted on both sides"  # the echo of a deletion we propagated: no bounce
        elif already:
            s.reason = "deletion already handled"
        elif self.dst.on_delete == "ignore":
            s.reason = f"deleted on side {self.side}; side {self.to} keeps its record (on_delete: ignore)"
        else:
            s.action = ARCHIVE if self.dst.on_delete == "archive" else DELETE
            s.state_to = "deleted"

    def _already_gone(self, doomed: list[Step]) -> None:
        """Partners deleted or archived on their own side too: nothing left to do there (no NOT_FOUND)."""
        if not doomed:
            return
        fields = [self.dst.match] if self.dst.match else []
        ids = sorted({str(s.to_id) for s in doomed})
        there = {r.id: r for r in self.run.target.fetch(self.dst.object, fields, ids)}
        for s in doomed:
            partner = there.get(str(s.to_id))
            if partner is None or partner.deleted:
                s.action, s.reason = SKIPPED, "deleted on both sides"

    def _map(self, live: list[Step]) -> None:
        mapped: dict[str, dict[str, Any]] = {}
        for s in live:
            try:
                values = self.run.compiled.map(s.record.fields)
            except RecordError as exc:
                exc.record_id = s.record.id
                s.action, s.error = FAILED, exc
                continue
            if values is None:
                s.action, s.reason, s.settle = SKIPPED, "filtered out by `where`", False
                continue
            s.values = values
            mapped[s.record.id] = values
        by_id = {s.record.id: s for s in live}
        for source_id, error in self.run.planner.references.resolve(mapped).items():
            by_id[source_id].action, by_id[source_id].error = FAILED, error
        for s in live:
            s.state_from = "active"  # a record read live again after its deletion was restored

    def _adopt(self, unlinked: list[Step]) -> None:
        """Records of X with no live partner: find one by the match field, else create it."""
        match = self.dst.match
        keys = {s.record.id: s.values.get(match) for s in unlinked} if match else {}
        wanted = sorted({k for k in keys.values() if k not in (None, "", False)}, key=str)
        found, _refused = self.run.planner.find(wanted) if wanted else ({}, {})
        named = self._named([s for s in unlinked if found.get(keys.get(s.record.id)) is None])
        ids = [str(v) for v in [*found.values(), *named.values()]]
        taken = self.run.store.pair_links(self.pair.name, self.to, ids)
        for s in unlinked:
            target = found.get(keys.get(s.record.id)) if match else None
            if target is None and s.record.id in named:
                y = named[s.record.id]
                target = y if y not in taken or taken[y].id(self.side) == s.record.id else None
            if (
                target is not None
                and str(target) in taken
                and taken[str(target)].id(self.side) != s.record.id
            ):
                other_id = taken[str(target)].id(self.side)
                s.action, s.error = FAILED, RecordError(
                    f"the side-{self.to} record {target} found by {match} is already paired with {other_id}",
                    stage="lookup", code="ALREADY_PAIRED", field=match, record_id=s.record.id,
                )  # fmt: skip
                continue
            if target is not None:
                s.to_id, s.state_to = str(target), "active"
                s.base_to = {}  # adopted: no known base, differences go by each field's policy
                s.base_from = {}
            elif self.dst.create:
                s.action, s.to_id, s.push = CREATE, None, dict(s.values)
                s.state_to = "active"
            else:
                s.to_id = None

    def _named(self, steps: list[Step]) -> dict[str, str]:
        """Records of X whose own match field names a live record of Y that names no other record back.

        That is a record the other direction created on X (its values name their
        source) whose answer it never recorded (lost, or the run stopped before its
        commit): Y's match field was not written yet, so only X's points to the pair.
        """
        own, match = self.src.match, self.dst.match
        if own is None:
            return {}
        refs = {s.record.id: str(v) for s in steps if (v := normal(s.record.fields.get(own))) is not None}
        if not refs:
            return {}
        fields = [match] if match else []
        there = {r.id: r for r in self.run.target.fetch(self.dst.object, fields, sorted(set(refs.values())))}
        return {
            x: y
            for x, y in refs.items()
            if y in there
            and not there[y].deleted
            and (match is None or normal(there[y].fields.get(match)) in (None, x))
        }

    def _needs_partner(self, s: Step) -> bool:
        return any(self._changed_here(s, f) for f in self.shared) or not s.base_to

    def _partners(self, steps: list[Step]) -> dict[str, SourceRecord]:
        ids = [s.to_id for s in steps if s.to_id is not None and self._needs_partner(s)]
        if not ids:
            return {}
        fields = list(dict.fromkeys([*self.pair.kept(self.to), *self.run.back.source_fields]))
        return {r.id: r for r in self.run.target.fetch(self.dst.object, fields, list(dict.fromkeys(ids)))}

    def _gone(self, s: Step) -> None:
        """The partner was deleted behind our back (its deletion not visible in reads)."""
        if self.dst.create:
            s.action, s.push, s.to_id, s.base_to = CREATE, dict(s.values), None, {}
            s.reason = f"the paired side-{self.to} record was deleted; created again"
            self.run.tally("recreated")
        else:
            s.action, s.error = FAILED, RecordError(
                f"the paired side-{self.to} record {s.to_id} no longer exists, and side {self.to} creates "
                "no records (create: false)", stage="write", code="TARGET_RECORD_GONE", record_id=s.record.id,
            )  # fmt: skip

    def _changed_here(self, s: Step, f: PairField) -> bool:
        name = f.field(self.side)
        return bool(normal(s.record.fields.get(name)) != s.base_from.get(name, MISSING))

    def _fields(self, s: Step, partner: SourceRecord | None) -> None:
        back = self._back(s, partner)
        for f in self.shared:
            if self._changed_here(s, f):
                self._field(s, f, partner, back)
        for name in self.one_way:  # side X owns them: its value goes whenever it differs from the base
            base = s.base_to.get(name, MISSING)
            if base is MISSING and partner is not None and name in partner.fields:
                base = s.base_to[name] = normal(partner.fields[name])  # adopted: Y's value is the base
            if normal(s.values.get(name)) != base:
                s.push[name] = s.values.get(name)
        if s.conflicts:
            self.run.tally("conflicts")
        s.action = UPDATE if s.push else UNCHANGED

    def _back(self, s: Step, partner: SourceRecord | None) -> dict[str, Any] | None:
        if partner is None:
            return None
        try:
            return self.run.back.map(partner.fields)
        except RecordError:
            return None  # a pull of this record is then impossible; its conflicts stay manual

    def _field(
        self, s: Step, f: PairField, partner: SourceRecord | None, back: dict[str, Any] | None
    ) -> None:
        here, there = f.field(self.side), f.field(self.to)
        mine = normal(s.record.fields.get(here))
        desired = s.values.get(there)
        if partner is None:
            s.push[there] = desired  # no fetch was needed: a one-way field of X
            s.base_from[here] = mine
            return
        theirs, base = normal(partner.fields.get(there)), s.base_to.get(there, MISSING)
        if theirs == normal(desired):
            s.base_from[here], s.base_to[there] = mine, theirs  # the same edit on both sides
            return
        if (base is not MISSING and theirs == base) or f.direction != "both":
            s.push[there] = desired
            s.base_from[here] = mine
            return
        winner = self._winner(f, s.record, partner)
        if winner == self.side:
            s.push[there] = desired
            s.base_from[here] = mine
        elif winner == self.to and back is not None and here in back:
            s.pull[here] = back[here]
            s.base_to[there] = theirs
        else:
            s.conflicts[f.name] = {
                "a_field": f.a,
                "b_field": f.b,
                self.side: s.record.fields.get(here),
                self.to: partner.fields.get(there),
                f"base_{self.side}": _shown(s.base_from.get(here, MISSING)),
                f"base_{self.to}": _shown(base),
            }

    def _winner(self, f: PairField, mine: SourceRecord, theirs: SourceRecord) -> str | None:
        if f.conflict in ("a_wins", "b_wins"):
            return f.conflict[0]
        if f.conflict == "newest_wins" and mine.cursor is not None and theirs.cursor is not None:
            if mine.cursor != theirs.cursor:
                return self.side if mine.cursor > theirs.cursor else self.to
        return None  # manual, or no stamps to tell


def _shown(value: Any) -> Any:
    return None if value is MISSING else value


__all__ = ["CREATE", "DELETE", "FAILED", "SKIPPED", "UNCHANGED", "UPDATE", "PairPlanner", "Step", "snapshot"]

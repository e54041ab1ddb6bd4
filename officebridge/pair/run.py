"""One direction of a two-way sync: read side X's changes, settle each field with side Y.

It is a `SyncRun` (the same lifecycle, lock heartbeat, watermark rules and
settling of writes of unknown outcome) whose batches are planned field by
field against the pair links (`pair.plan`) and written in chunks, each chunk
committed with its pair links as soon as it lands:

1. pushes to Y (creates, updates of the changed fields only, archives, deletes);
2. pulls back to X (fields whose conflict side Y won);
3. both sides' written records read back, so each base is what the side itself
   reports (an echo of this write is then recognised field by field);
4. one commit: pair links, dead letters of the direction, conflicts of the pair.

The lock is the pair's, so the two directions never interleave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from officebridge.connector import (
    Capabilities,
    Connector,
    OpKind,
    SourceRecord,
    Watermark,
    WriteOp,
)
from officebridge.errors import RecordError
from officebridge.mapping.compiler import CompiledMapping
from officebridge.pair.plan import (
    ARCHIVE,
    CREATE,
    DELETE,
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    PairPlanner,
    Step,
)
from officebridge.pair.spec import PairMapping, Side, other
from officebridge.pair.values import normal, snapshot
from officebridge.state import NewDeadLetter, StateStore
from officebridge.state.records import PairLink
from officebridge.sync.counts import Counts
from officebridge.sync.overlap import Ahead
from officebridge.sync.plan import Planned
from officebridge.sync.run import DEFAULT_OPTIONS, RunOptions, SyncRun, send

CONFLICT = "CONFLICT"
_KIND = {CREATE: OpKind.CREATE, UPDATE: OpKind.UPDATE, ARCHIVE: OpKind.ARCHIVE, DELETE: OpKind.DELETE}


class PairDirection(SyncRun):
    """`side` -> the other side of `pair`, with `back` the other direction's compiled mapping."""

    plans_ahead: ClassVar[bool] = False  # `process` plans its own steps, both sides' bases included

    def __init__(  # noqa: PLR0917 - SyncRun's own order, plus the pair and the way back
        self,
        pair: PairMapping,
        side: Side,
        compiled: CompiledMapping,
        back: CompiledMapping,
        source: Connector,
        target: Connector,
        store: StateStore,
        *,
        options: RunOptions = DEFAULT_OPTIONS,
    ) -> None:
        super().__init__(pair.direction(side), compiled, source, target, store, options=options)
        self.pair, self.side, self.to, self.back = pair, side, other(side), back
        self.pair_planner = PairPlanner(self)
        self.tallies: Counter[str] = Counter()

    @property
    def lock_name(self) -> str:
        return self.pair.name

    def begin(self) -> None:
        super().begin()
        self.tallies = Counter()
        for sync in self.pair.adopt_links:
            if self.previous is None:  # before this direction's first batch: start from those links
                a_is_source = sync not in self._reverse_syncs()
                self.tallies["adopted_links"] += self.store.adopt_links(
                    self.pair.name, sync, a_is_source=a_is_source
                )

    def _reverse_syncs(self) -> set[str]:
        return set(self.pair.adopt_links[1:]) if len(self.pair.adopt_links) > 1 else set()

    def tally(self, what: str, n: int = 1) -> None:
        self.tallies[what] += n

    def read_fields(self) -> list[str]:
        """The direction's fields, plus this side's fields the pair keeps (its bases)."""
        return list(dict.fromkeys([*super().read_fields(), *self.pair.kept(self.side)]))

    def run(self, progress: Any = None) -> Any:
        result = super().run(progress)
        if self.tallies:
            result.notes.update(dict(self.tallies))
        return result

    # --- one batch ---------------------------------------------------------------------

    def process(
        self,
        run_id: int,
        records: list[SourceRecord],
        *,
        watermark: Watermark | None = None,
        reread: bool = False,
        ahead: Ahead | None = None,  # never given: plans_ahead is off for a pair direction
        meanwhile: Callable[[set[Any]], Ahead | None] | None = None,
    ) -> Counts:
        todo = [r for r in records if r.id not in self.parked]
        steps = self.pair_planner.plan(todo)
        total = Counts()
        writing = [s for s in steps if s.writes and s.action != FAILED]
        rest = [s for s in steps if not (s.writes and s.action != FAILED)]  # before writing turns some FAILED
        for start in range(0, len(writing), self.write_batch):
            total.add(self._commit(run_id, self._write(writing[start : start + self.write_batch])))
        counts = self._commit(run_id, rest, watermark=watermark, final=True)
        counts.read += len(records) - len(todo)
        counts.skipped += len(records) - len(todo)
        total.add(counts)
        if self.life is not None and self.tallies:
            self.life.detail["pair"] = dict(self.tallies)
        return total

    def _write(self, chunk: list[Step]) -> list[Step]:
        """Push, pull and read back one chunk; each step ends written or failed."""
        obj_to, obj_from = self.pair.side(self.to).object, self.pair.side(self.side).object
        pushes = [
            s for s in chunk if s.action in (CREATE, ARCHIVE, DELETE) or (s.action == UPDATE and s.push)
        ]
        for group in _by_action(pushes):
            ops = [self._op(s) for s in group]
            self._apply(group, self.target, obj_to, ops, self.writes, pushed=True)
        created = self._read_back_to(chunk)
        for s, partner in created:
            self._answer_create(s, partner)
        pulls = [s for s in chunk if s.pull and s.action != FAILED]
        size = max(1, self.reads.write_call)  # the chunk is sized for Y: X takes its own calls
        for start in range(0, len(pulls), size):
            part = pulls[start : start + size]
            ops = [WriteOp(OpKind.UPDATE, s.record.id, dict(s.pull), s.record.id) for s in part]
            self._apply(part, self.source, obj_from, ops, self.reads, pushed=False)
        if pulls:
            self.tally("pulled", sum(1 for s in pulls if s.action != FAILED))
        self._read_back_from(chunk)
        return chunk

    def _answer_create(self, s: Step, partner: SourceRecord) -> None:
        """A record just created on Y may owe X something at once (its new id in X's match field)."""
        s.base_from = snapshot(s.record.fields, list(self.pair.kept(self.side)))
        try:
            back = self.back.map(partner.fields) or {}
        except RecordError:
            return
        shared = {f.field(self.side) for f in self.pair.fields}
        for name, value in back.items():
            if name not in shared and normal(value) != normal(s.record.fields.get(name)):
                s.pull[name] = value

    def _op(self, s: Step) -> WriteOp:
        values = {} if s.action in (ARCHIVE, DELETE) else dict(s.push)
        return WriteOp(_KIND[s.action], s.record.id, values, s.to_id)

    def _apply(
        self,
        steps: list[Step],
        connector: Connector,
        obj: str,
        ops: list[WriteOp],
        caps: Capabilities,
        *,
        pushed: bool,
    ) -> None:
        results = send(connector, obj, ops, caps)
        for s in steps:
            answer = results.get(s.record.id)
            if answer is not None and answer.ok:
                if pushed and s.action == CREATE and answer.target_id:
                    s.to_id = str(answer.target_id)
                continue
            s.letter = self._write_failure(self._planned(s), answer)
            s.action, s.settle = FAILED, False

    def _read_back_to(self, chunk: list[Step]) -> list[tuple[Step, SourceRecord]]:
        """Y's base is what Y reports after the write (its own spelling of what we wrote)."""
        done = [s for s in chunk if s.action in (CREATE, UPDATE) and s.to_id and s.push]
        if not done:
            return []
        kept = list(self.pair.kept(self.to))
        fields = list(dict.fromkeys([*kept, *self.back.source_fields]))
        ids = [str(s.to_id) for s in done]
        back = {r.id: r for r in self.target.fetch(self.pair.side(self.to).object, fields, ids)}
        created = []
        for s in done:
            read = back.get(s.to_id or "")
            if read is None:
                s.base_to.update({n: normal(s.push.get(n)) for n in s.push})  # not readable yet: as written
                continue
            now = snapshot(read.fields, kept)
            s.base_to.update(now if s.action == CREATE else {n: now.get(n) for n in s.push})
            if s.action == CREATE:
                created.append((s, read))
        return created

    def _read_back_from(self, chunk: list[Step]) -> None:
        pulled = [s for s in chunk if s.pull and s.action != FAILED]
        if not pulled:
            return
        kept = list(self.pair.kept(self.side))
        obj = self.pair.side(self.side).object
        back = {r.id: r for r in self.source.fetch(obj, kept, [s.record.id for s in pulled])}
        for s in pulled:
            read = back.get(s.record.id)
            now = (
                snapshot(read.fields, kept) if read is not None else {n: normal(v) for n, v in s.pull.items()}
            )
            s.base_from.update({n: now.get(n) for n in s.pull})

    def _planned(self, s: Step) -> Planned:
        return Planned(record=s.record, action=s.action, values=s.push or s.values, target_id=s.to_id)

    # --- recording -----------------------------------------------------------------------

    def _commit(
        self, run_id: int, steps: Sequence[Step], *, watermark: Watermark | None = None, final: bool = False
    ) -> Counts:
        counts = Counts(read=len(steps))
        rows: list[PairLink] = []
        letters: list[NewDeadLetter] = []
        conflicts: list[NewDeadLetter] = []
        settled: list[str] = []
        resolved: list[str] = []
        for s in steps:
            if s.action == FAILED:
                counts.failed += 1
                letters.append(self._letter(s))
                continue
            if s.action == CREATE:
                counts.created += 1
            elif s.action == UPDATE or (s.pull and s.action == UNCHANGED):
                counts.updated += 1
            elif s.action in (ARCHIVE, DELETE):
                counts.deleted += 1
            elif s.action == UNCHANGED:
                counts.unchanged += 1
            else:
                counts.skipped += 1
            resolved.append(s.record.id)
            if s.settle and s.to_id is not None:
                row = self._row(s)
                rows.append(row)
                if s.conflicts:
                    conflicts.append(self._conflict(s, row))
                else:
                    settled.append(row.a_id)
        self.store.commit_batch(
            self.sync,
            run_id,
            dead_letters=letters,
            resolved=resolved,
            watermark=watermark if final else None,
            counts=counts.as_dict(),
            pair=self.pair.name,
            pair_links=rows,
            conflicts=conflicts,
            settled=settled,
        )
        return counts

    def _row(self, s: Step) -> PairLink:
        assert s.to_id is not None
        mine, theirs = s.record.id, s.to_id
        a_id, b_id = (mine, theirs) if self.side == "a" else (theirs, mine)
        values = {self.side: s.base_from, self.to: s.base_to}
        states = {self.side: s.state_from, self.to: s.state_to}
        stamps = {self.side: s.record.cursor, self.to: s.link.stamp(self.to) if s.link else None}
        return PairLink(
            self.pair.name,
            a_id,
            b_id,
            values["a"],
            values["b"],
            stamps["a"],
            stamps["b"],
            states["a"],
            states["b"],
        )

    def _letter(self, s: Step) -> NewDeadLetter:
        if isinstance(s.letter, NewDeadLetter):
            return s.letter
        error = s.error or RecordError("failed", stage="map", record_id=s.record.id)
        return self._record_failure(self._planned(s), error)

    def _conflict(self, s: Step, row: PairLink) -> NewDeadLetter:
        names = ", ".join(sorted(s.conflicts))
        a_sys, b_sys = self.pair.a.system, self.pair.b.system
        message = (
            f"{names}: changed on both sides since the last sync ({a_sys} {row.a_id}, {b_sys} {row.b_id}); "
            f"choose a side or a value: officebridge conflicts resolve ID --take a|b"
        )
        payload = {"pair": self.pair.name, "a_id": row.a_id, "b_id": row.b_id, "fields": s.conflicts}
        return NewDeadLetter(row.a_id, "conflict", CONFLICT, message, payload)


def _by_action(steps: list[Step]) -> Iterator[list[Step]]:
    groups: dict[str, list[Step]] = {}
    for s in steps:
        groups.setdefault(s.action, []).append(s)
    yield from groups.values()


__all__ = ["CONFLICT", "SKIPPED", "PairDirection"]

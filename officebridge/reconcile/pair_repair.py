"""Repair a pair through its own write path: each direction reprocesses its side's records by id.

Nothing is written here but pair-link bases: the records go through
`PairDirection.reprocess` (planned field by field against the pair links,
written, read back and committed like any run of the pair, in a run row of
trigger `reconcile` per direction, under the pair's lock). So every field is
settled by the pair's own policy, never by reconciliation's opinion:

- drifted: the bases of the drifted fields are cleared on both sides of the
  link, so the planner sees a change it cannot date and applies the field's
  conflict policy (owner, a_wins/b_wins, newest_wins; `manual` opens a
  conflict for a person, and the pair stays drifted until it is resolved);
  then side a's record is reprocessed by direction a, side b's by direction b;
- missing: the unpaired record is reprocessed by its side's direction: found
  by the other side's match field and paired, or created;
- broken, with a record still in scope: a partner the other side still
  reports as deleted (or archived) is reprocessed by its own direction, so the
  deletion gets the pair's `on_delete`, as the next run would; a partner that
  vanished without a trace: the link's bases are cleared so the planner
  fetches it, finds it gone and does what the pair does with a partner deleted
  behind its back (create it again; with `create: false`, a dead letter);
- broken with no record in scope (both gone, or the survivor filtered out):
  the link is removed;
- extra (both records exist, both out of scope): left alone, as a run does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from officebridge.pair.run import PairDirection
from officebridge.pair.spec import Side, other
from officebridge.reconcile.pair import PairSubject
from officebridge.reconcile.repair import RepairResult
from officebridge.reconcile.scratch import Scratch
from officebridge.state.records import PairLink
from officebridge.sync.counts import Counts
from officebridge.sync.lifecycle import lifecycle


@dataclass(slots=True)
class PairRepairResult(RepairResult):
    run_ids: dict[str, int] = field(default_factory=dict)  # direction sync -> its run of trigger reconcile
    bases_cleared: int = 0  # pair links whose bases were cleared

    def as_dict(self) -> dict[str, Any]:
        return {**RepairResult.as_dict(self), "run_ids": self.run_ids, "bases_cleared": self.bases_cleared}


def _without(link: PairLink, fields: dict[str, tuple[str, str]] | None) -> PairLink:
    """The link with the bases of these shared fields (all, when None) forgotten on both sides."""
    if fields is None:
        return dataclasses.replace(link, a_values={}, b_values={})
    a = {k: v for k, v in link.a_values.items() if k not in {names[0] for names in fields.values()}}
    b = {k: v for k, v in link.b_values.items() if k not in {names[1] for names in fields.values()}}
    return dataclasses.replace(link, a_values=a, b_values=b)


class PairRepair:
    """The repair of one pair's findings (their ids are in the check's scratch file, read back in pages)."""

    def __init__(
        self, subject: PairSubject, forward: PairDirection, backward: PairDirection, batch: int = 500
    ):
        self.subject, self.batch = subject, batch
        self.directions: dict[Side, PairDirection] = {"a": forward, "b": backward}

    def __call__(self, scratch: Scratch) -> RepairResult:
        result = PairRepairResult(None, Counts())
        for side in (
            "a",
            "b",
        ):  # side a first: its direction settles the drifted fields whose bases it cleared
            direction = self.directions[side]
            with lifecycle(direction, trigger="reconcile") as life:
                direction.life = life
                result.run_ids[direction.sync] = life.run_id
                if result.run_id is None:
                    result.run_id = life.run_id
                self._side(side, scratch, life, result)
        return result

    def _side(self, side: Side, scratch: Scratch, life: Any, result: PairRepairResult) -> None:
        """Everything side `side`'s direction reprocesses, page by page."""
        store, pair, there = self.subject.store, self.subject.name, other(side)
        for ids in scratch.found("drifted", self.batch):
            links = list(self.subject.pair_links("a", ids).values())
            if side == "a":
                links = self._clear_drifted(links, result)
            self._reprocess(side, life, [link.id(side) for link in links], result)
        for ids in scratch.found(f"missing_{side}", self.batch):
            self._reprocess(side, life, ids, result)
        for ids in scratch.found("broken", self.batch, reason=side):  # this side's record is still there
            links = list(self.subject.pair_links("a", ids).values())
            tombstones = self.subject.fetch(there, [link.id(there) for link in links])
            purged = [link for link in links if link.id(there) not in tombstones]
            store.put_pair_links(pair, [_without(link, None) for link in purged])
            result.bases_cleared += len(purged)
            self._reprocess(side, life, [link.id(side) for link in purged], result)
        for ids in scratch.found("broken", self.batch, reason=there):  # this side's record was deleted
            links = list(self.subject.pair_links("a", ids).values())
            tombstones = self.subject.fetch(side, [link.id(side) for link in links])
            self._reprocess(
                side, life, [link.id(side) for link in links if link.id(side) in tombstones], result
            )
        if side == "a":
            for reason in ("out_a", "out_b", "out_none"):
                for ids in scratch.found("broken", self.batch, reason=reason):
                    result.links_dropped += store.remove_pair_links(pair, ids)

    def _clear_drifted(self, links: list[PairLink], result: PairRepairResult) -> list[PairLink]:
        """Forget the bases of the fields that differ now; the links that still drift."""
        a_now = self.subject.fetch("a", [link.a_id for link in links])
        b_now = self.subject.fetch("b", [link.b_id for link in links])
        cleared = []
        for link in links:
            a, b = a_now.get(link.a_id), b_now.get(link.b_id)
            if a is None or b is None:
                continue
            drifted = set(self.subject.compare([(a, b)])[0].drifted)
            fields = {f.name: (f.a, f.b) for f in self.subject.pair.fields if f.name in drifted}
            if fields:
                cleared.append(_without(link, fields))
        self.subject.store.put_pair_links(self.subject.name, cleared)
        result.bases_cleared += len(cleared)
        return cleared

    def _reprocess(self, side: Side, life: Any, ids: list[str], result: PairRepairResult) -> None:
        if not ids:
            return
        counts, _found = self.directions[side].reprocess(life.run_id, list(dict.fromkeys(ids)))
        life.counts.add(counts)
        result.counts.add(counts)

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
    """The repair of one pair's findings (their ids are in the check's scratch file)."""

    def __init__(
        self, subject: PairSubject, forward: PairDirection, backward: PairDirection, batch: int = 500
    ):
        self.subject, self.batch = subject, batch
        self.directions: dict[Side, PairDirection] = {"a": forward, "b": backward}

    def __call__(self, scratch: Scratch) -> RepairResult:
        result = PairRepairResult(None, Counts())
        todo: dict[Side, list[str]] = {"a": [], "b": []}
        with lifecycle(self.directions["a"], trigger="reconcile") as life:
            self.directions["a"].life = life
            result.run_id = life.run_id
            self._prepare(scratch, todo, result)
            self._reprocess("a", life, todo["a"], result)
        with lifecycle(self.directions["b"], trigger="reconcile") as life:
            self.directions["b"].life = life
            self._reprocess("b", life, todo["b"], result)
        return result

    def _prepare(self, scratch: Scratch, todo: dict[Side, list[str]], result: PairRepairResult) -> None:
        """Put the links right where planning would trust them, and say which records go through again."""
        store, pair = self.subject.store, self.subject.name
        for ids in scratch.found("drifted", self.batch):
            links = list(self.subject.pair_links("a", ids).values())
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
                    todo["a"].append(link.a_id)
                    todo["b"].append(link.b_id)
            store.put_pair_links(pair, cleared)
            result.bases_cleared += len(cleared)
        for side in ("a", "b"):
            for ids in scratch.found(f"missing_{side}", self.batch):
                todo[side] += ids
            there = other(side)
            for ids in scratch.found("broken", self.batch, reason=side):
                links = list(self.subject.pair_links("a", ids).values())
                tombstones = self.subject.fetch(there, [link.id(there) for link in links])
                deleted = [link for link in links if link.id(there) in tombstones]
                purged = [link for link in links if link.id(there) not in tombstones]
                todo[there] += [link.id(there) for link in deleted]  # a deletion the pair has not seen yet
                store.put_pair_links(pair, [_without(link, None) for link in purged])
                result.bases_cleared += len(purged)
                todo[side] += [
                    link.id(side) for link in purged
                ]  # the partner vanished: the pair's own answer
        for reason in ("out_a", "out_b", "out_none"):
            for ids in scratch.found("broken", self.batch, reason=reason):
                result.links_dropped += store.remove_pair_links(pair, ids)

    def _reprocess(self, side: Side, life: Any, ids: list[str], result: PairRepairResult) -> None:
        direction = self.directions[side]
        result.run_ids[direction.sync] = life.run_id
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), self.batch):
            counts, _found = direction.reprocess(life.run_id, unique[start : start + self.batch])
            life.counts.add(counts)
            result.counts.add(counts)

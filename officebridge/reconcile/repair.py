"""Repair a directional sync through its normal write path, inside one ordinary run.

Everything is written by `SyncRun`: records are read again by id from the
source and planned, written and committed in chunks exactly as a replay
does (`SyncRun.reprocess`), under the sync's lock and in a run row of
trigger `reconcile`. Planning trusts the link table, so two kinds need the
table put right first (`officebridge.state.reconciliations`):

- drifted: the stored hash still equals what the unchanged source maps to,
  so the planner would call the record unchanged: the hash is cleared, and
  the record is updated;
- broken (B record gone): the link is dropped, so planning finds the record
  by the match field (an archived one is updated) or creates it again.

Missing records (no link) go through as they are: found by the match field
and adopted, or created. Extra links whose source is gone get the mapping's
`on_delete` (as if the run had seen the deletion); with `on_delete: ignore`
the link is only marked deleted. An extra link whose source still exists but
is out of scope is left alone: the sync never removes those either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from officebridge.connector import SourceRecord
from officebridge.reconcile.scratch import Scratch
from officebridge.state import reconciliations as recs
from officebridge.sync.counts import Counts
from officebridge.sync.lifecycle import lifecycle
from officebridge.sync.run import SyncRun


@dataclass(slots=True)
class RepairResult:
    run_id: int | None
    counts: Counts
    links_dropped: int = 0
    hashes_cleared: int = 0
    marked_deleted: int = 0

    @property
    def written(self) -> int:
        return self.counts.created + self.counts.updated + self.counts.deleted

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "counts": self.counts.as_dict(),
            "links_dropped": self.links_dropped,
            "hashes_cleared": self.hashes_cleared,
            "marked_deleted": self.marked_deleted,
        }


class DirectionalRepair:
    """The repair of one sync's findings (the ids are in the scratch file of the check)."""

    def __init__(self, run: SyncRun, batch: int = 500) -> None:
        self.run = run
        self.batch = batch

    def __call__(self, scratch: Scratch) -> RepairResult:
        run, store, sync = self.run, self.run.store, self.run.sync
        result = RepairResult(None, Counts())
        with lifecycle(run, trigger="reconcile") as life:
            run.life = life
            result.run_id = life.run_id
            for ids in scratch.found("broken", self.batch, reason="in scope"):
                result.links_dropped += recs.drop_links(store, sync, ids)
                self._reprocess(life, ids, result)
            for ids in scratch.found("broken", self.batch, reason="out of scope"):
                store.commit_batch(sync, life.run_id, deleted=ids)  # both records gone: nothing to write
                result.marked_deleted += len(ids)
            for ids in scratch.found("drifted", self.batch):
                result.hashes_cleared += recs.forget_hashes(store, sync, ids)
                self._reprocess(life, ids, result)
            for ids in scratch.found("missing", self.batch):
                self._reprocess(life, ids, result)
            for reason in ("gone", "archived or deleted"):
                for ids in scratch.found("extra", self.batch, reason=reason):
                    self._deleted_at_source(life, ids, result)
        return result

    def _reprocess(self, life: Any, ids: list[str], result: RepairResult) -> None:
        counts, _found = self.run.reprocess(life.run_id, ids)
        life.counts.add(counts)
        result.counts.add(counts)

    def _deleted_at_source(self, life: Any, ids: list[str], result: RepairResult) -> None:
        """What the run does when it sees these sources deleted; with `on_delete: ignore`, unlink only."""
        live = {
            link.source_id
            for link in self.run.store.links(self.run.sync, ids).values()
            if link.state == "active"
        }
        ids = [i for i in ids if i in live]  # a broken one was already marked deleted above
        if not ids:
            return
        if self.run.mapping.target.on_delete == "ignore":
            self.run.store.commit_batch(self.run.sync, life.run_id, deleted=ids)
            result.marked_deleted += len(ids)
            return
        gone = [SourceRecord(i, None, True, {}) for i in ids]
        counts = self.run.process(life.run_id, gone, reread=True)
        life.counts.add(counts)
        result.counts.add(counts)

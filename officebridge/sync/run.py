"""One run of one sync: extract -> map -> resolve -> diff -> write -> record.

The run holds one batch at a time. For each batch it plans every record,
writes the changes in target-sized chunks, then records links, dead letters,
counts and the new watermark in one state-store transaction. A crash between
the write and that transaction is safe: the watermark has not moved, so the
rerun reads the batch again and finds the written records through the match
field instead of creating them twice. The watermark is the highest change
stamp of the page (timestamp cursors, re-read with an overlap window) or the
page's resume token (token cursors, resumed exactly, no overlap).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from officebridge.connector import (
    NO_RESULT,
    OUTCOME_UNKNOWN,
    Capabilities,
    Connector,
    CursorKind,
    Page,
    ReadRequest,
    SourceRecord,
    Watermark,
    WriteOp,
    WriteResult,
    WriteStatus,
    invalid_op,
)
from officebridge.errors import RecordError, RetriableError, SyncLockedError
from officebridge.quality.gate import QualityGate
from officebridge.retry import DEFAULT_POLICY, RetryPolicy
from officebridge.secrets import MASK, redact
from officebridge.state import LinkWrite, NewDeadLetter, StateStore
from officebridge.sync.counts import Counts
from officebridge.sync.plan import (
    ARCHIVE,
    CREATE,
    DELETE,
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    Planned,
    Planner,
)

log = logging.getLogger(__name__)
DEFAULT_OVERLAP = timedelta(minutes=5)
_WRITE_ACTIONS = (CREATE, UPDATE, ARCHIVE, DELETE)


@dataclass(frozen=True, slots=True)
class RunOptions:
    # re-read this much before a time watermark: same-stamp records are not lost (tokens need none)
    overlap: timedelta = DEFAULT_OVERLAP
    read_batch: int = 2000
    trigger: str = "cli"
    lock_ttl: float = 600.0
    retry: RetryPolicy = DEFAULT_POLICY  # for whole batches whose write failed transiently
    settle: timedelta = timedelta(minutes=2)  # how long a write of unknown outcome may still land
    detail: Mapping[str, Any] | None = None  # recorded in the run's detail (e.g. the Airflow run id)


@dataclass(slots=True)
class RunResult:
    sync: str
    run_id: int | None
    status: str
    counts: Counts
    seconds: float
    error: str | None = None
    watermark: Watermark | None = None
    dead_letters: list[NewDeadLetter] = field(default_factory=list)


DEFAULT_OPTIONS = RunOptions()
Progress = Callable[[Counts], None]


def _masked(values: dict[str, Any], sensitive: set[str]) -> dict[str, Any]:
    return {k: (MASK if k in sensitive and v not in (None, "") else v) for k, v in values.items()}


class SyncRun:
    """Runs one mapping against its two connectors and the state store."""

    def __init__(
        self,
        mapping: Any,
        compiled: Any,
        source: Connector,
        target: Connector,
        store: StateStore,
        *,
        options: RunOptions = DEFAULT_OPTIONS,
    ) -> None:
        self.mapping = mapping
        self.compiled = compiled
        self.sync: str = mapping.name
        self.source = source
        self.target = target
        self.store = store
        self.options = options
        self.planner = Planner(self.sync, compiled, mapping, target, store)
        self.parked: set[str] = set()  # source ids whose last write outcome is unknown and not yet settled
        self.sensitive: set[str] = set(compiled.sensitive)
        self.quality = QualityGate.for_mapping(mapping, sorted(self.sensitive))  # no-op without checks
        self.reads: Capabilities = source.manifest.capabilities
        self.writes: Capabilities = target.manifest.capabilities
        most = self.writes.max_write_batch
        self.write_batch = max(1, min(mapping.target.batch_size or most, most))
        self.cursor: str = mapping.source.cursor or self.reads.default_cursor

    # --- reading ---------------------------------------------------------------

    @property
    def token_cursor(self) -> bool:
        return self.reads.cursor is CursorKind.TOKEN

    def since(self) -> Watermark | None:
        """Where this run starts: a time minus the overlap window, or the stored token as it is."""
        mark = self.store.watermark(self.sync)
        if isinstance(mark, datetime) and not self.token_cursor:
            return mark - self.options.overlap
        return mark

    def request(
        self, since: Watermark | None, *, until: datetime | None = None, batch_size: int | None = None
    ) -> ReadRequest:
        """The read of this mapping: its fields, cursor and native filter, from `since` on."""
        src = self.mapping.source
        return ReadRequest(
            object=src.object,
            fields=tuple(self.compiled.source_fields),
            since=since,
            until=until,
            cursor=self.cursor,
            filter=src.filter,
            include_deleted=bool(src.deletes),
            batch_size=batch_size or self.options.read_batch,
        )

    def batches(self, since: Watermark | None, *, until: datetime | None = None) -> Iterator[Page]:
        return self.source.read(self.request(since, until=until))

    def mark_after(self, page: Page) -> Watermark | None:
        """The watermark once `page` is committed: its resume token, or its highest change stamp."""
        if self.token_cursor:
            return page.resume
        stamps = [r.cursor for r in page.records if r.cursor is not None]
        return max(stamps) if stamps else None

    # --- the run ---------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> RunResult:
        started = time.monotonic()
        counts = Counts()
        with self.store.lock(self.sync, ttl=self.options.lock_ttl) as lock:
            self._close_interrupted_runs()
            detail = dict(self.options.detail or {})
            run_id = self.store.start_run(self.sync, trigger=self.options.trigger, detail=detail)
            try:
                counts.add(self._settle_unknown_writes(run_id))
                for page in self.batches(self.since()):
                    counts.add(self.process(run_id, page.records, watermark=self.mark_after(page)))
                    lock.heartbeat()
                    if progress is not None:
                        progress(counts)
            except BaseException as exc:
                error = redact(f"{type(exc).__name__}: {exc}")
                quality = self.quality.finish(run_id, "failed")
                self.store.finish_run(run_id, status="failed", error=error, detail=quality)
                raise
            status = "partial" if counts.failed else "succeeded"
            self.store.finish_run(run_id, status=status, detail=self.quality.finish(run_id, status))
        return RunResult(
            self.sync,
            run_id,
            status,
            counts,
            time.monotonic() - started,
            watermark=self.store.watermark(self.sync),
        )

    def _settle_unknown_writes(self, run_id: int) -> Counts:
        """Records whose earlier write had an unknown outcome go through again, once it has settled.

        Planning looks each one up through the match field first, so a write that did
        land is adopted and updated, and only one that did not is created.
        """
        settled = datetime.now(UTC) - self.options.settle
        unknown = [
            d
            for d in self.store.dead_letters(self.sync, "open", limit=100_000)
            if d.error_code == OUTCOME_UNKNOWN
        ]
        # not settled yet: leave them parked, even when the overlap window reads them again
        self.parked = {d.source_id for d in unknown if d.updated_at > settled}
        counts, _found = self.reprocess(run_id, [d.source_id for d in unknown if d.updated_at <= settled])
        return counts

    def reprocess(self, run_id: int, ids: list[str]) -> tuple[Counts, set[str]]:
        """Read these records again by id and sync them, without moving the watermark.

        Returns the counts and the ids the source still has. The watermark stays: a
        record read again may be newer than records the next run has still to read.
        """
        if not ids:
            return Counts(), set()
        records = self.source.fetch(self.mapping.source.object, list(self.compiled.source_fields), ids)
        counts = self.process(run_id, records) if records else Counts()
        return counts, {r.id for r in records}

    def _close_interrupted_runs(self) -> None:
        """Runs still 'running' while we hold the lock died mid-way (killed, host lost): say so.

        Partition runs of an initial load hold per-partition locks, not ours: while one
        is recent enough to be alive, this run must wait rather than race it.
        """
        recent = datetime.now(UTC) - timedelta(seconds=self.options.lock_ttl)
        for stale in self.store.runs(self.sync, limit=50):
            if stale.status != "running":
                continue
            if "partition" in (stale.detail or {}) and stale.started_at > recent:
                raise SyncLockedError(
                    f"sync {self.sync!r}: a partitioned initial load is running (run {stale.id}); "
                    "try again after it"
                )
            self.store.finish_run(
                stale.id, status="failed", error="interrupted: the process stopped before the run finished"
            )

    def process(
        self, run_id: int, records: list[SourceRecord], *, watermark: Watermark | None = None
    ) -> Counts:
        """Plan, write and record one batch, with the watermark to commit after it; returns its counts."""
        todo = [r for r in records if r.id not in self.parked]
        plans, results = self._plan_and_write(todo)
        counts, links, deleted, letters, resolved = self.outcome(plans, results)
        counts.read += len(records) - len(todo)
        counts.skipped += len(records) - len(todo)  # parked: their open dead letter still stands for them
        self.store.commit_batch(
            self.sync,
            run_id,
            links=links,
            deleted=deleted,
            dead_letters=letters,
            resolved=resolved,
            watermark=watermark,
            counts=counts.as_dict(),
        )
        return counts

    def _plan_and_write(self, records: list[SourceRecord]) -> tuple[list[Planned], dict[str, WriteResult]]:
        """Plan and write a batch; when the target refused it transiently, plan again and retry.

        Earlier chunks of the batch may have landed; planning again finds them through
        the match field, so they are updated, not created twice. (Writes whose outcome is
        unknown are not retried here at all: see `write`.)
        """
        attempt = 1
        while True:
            plans = self.planner.plan(records)
            self.quality.apply(plans)  # schema and expectations: may fail plans or reject the batch
            try:
                return plans, self.write(plans)
            except RetriableError as exc:
                if attempt >= self.options.retry.attempts:
                    raise
                wait = self.options.retry.delay(attempt, exc.retry_after)
                log.warning("%s: write failed (%s); planning the batch again in %.1fs", self.sync, exc, wait)
                time.sleep(wait)
                attempt += 1

    def write(self, plans: list[Planned]) -> dict[str, WriteResult]:
        """Send the plans' operations in target-sized chunks; one result per plan, by source id.

        Each op is checked against the target's capabilities first (`invalid_op`, the one
        check): an op that cannot be sent fails here, alone. A result of unknown outcome is
        parked by `outcome` (never resent blindly); see `_settle_unknown_writes`.
        """
        todo = [p for p in plans if p.action in _WRITE_ACTIONS]
        results: dict[str, WriteResult] = {}
        obj = self.mapping.target.object
        for start in range(0, len(todo), self.write_batch):
            ops: list[WriteOp] = []
            for p in todo[start : start + self.write_batch]:
                op = p.op(self.planner.match_field)
                refused = invalid_op(op, self.writes, obj)
                if refused is None:
                    ops.append(op)
                else:
                    results[op.ref] = refused
            for result in self.target.write(obj, ops) if ops else []:
                results[result.ref] = result
        return results

    def outcome(
        self, plans: list[Planned], results: dict[str, WriteResult]
    ) -> tuple[Counts, list[LinkWrite], list[str], list[NewDeadLetter], list[str]]:
        counts = Counts(read=len(plans))
        links: list[LinkWrite] = []
        deleted: list[str] = []
        letters: list[NewDeadLetter] = []
        resolved: list[str] = []
        for p in plans:
            source_id = p.record.id
            if p.action in _WRITE_ACTIONS:
                result = results.get(source_id)
                if result is None or not result.ok:
                    letters.append(self._write_failure(p, result))
                    counts.failed += 1
                    continue
                resolved.append(source_id)
                if p.action in (ARCHIVE, DELETE):
                    deleted.append(source_id)
                    counts.deleted += 1
                    continue
                target_id = result.target_id or p.target_id
                assert target_id is not None
                links.append(LinkWrite(source_id, str(target_id), p.source_hash or "", p.target_hash or ""))
                if p.action == CREATE:
                    counts.created += 1
                else:
                    counts.updated += 1
            elif p.action == FAILED:
                assert p.error is not None
                letters.append(self._record_failure(p, p.error))
                counts.failed += 1
            elif p.action == UNCHANGED:
                counts.unchanged += 1
                resolved.append(source_id)
            elif p.action == SKIPPED:
                counts.skipped += 1
        return counts, links, deleted, letters, resolved

    # --- dead letters ----------------------------------------------------------

    def _payload(self, p: Planned) -> dict[str, Any]:
        return {
            "source": _masked(p.record.fields, self.sensitive),
            "values": _masked(p.values or {}, self.sensitive),
            "cursor": p.record.cursor.isoformat() if p.record.cursor else None,
            "target_id": p.target_id,
        }

    def _record_failure(self, p: Planned, error: RecordError) -> NewDeadLetter:
        message = redact(str(error))
        return NewDeadLetter(p.record.id, error.stage, error.code, message, self._payload(p))

    def _write_failure(self, p: Planned, result: WriteResult | None) -> NewDeadLetter:
        if result is None:
            code, message = NO_RESULT, "the target returned no result for this record"
        elif result.status is WriteStatus.UNKNOWN:
            # resending now could duplicate: the write may still land. The record stays parked
            # until a later run (after `settle`) looks it up in the target first.
            code = OUTCOME_UNKNOWN
            message = f"{result.message or 'outcome unknown'}; rechecked against the target by the next run"
        else:
            code = result.error_code or "WRITE_FAILED"
            fields = f" (fields: {', '.join(result.fields)})" if result.fields else ""
            message = (result.message or "write failed") + fields
        values = p.values or {}
        for name in self.sensitive:  # a target may echo a rejected value in its message
            value = values.get(name)
            if isinstance(value, str) and value:
                message = message.replace(value, MASK)
        return NewDeadLetter(p.record.id, "write", code, redact(message), self._payload(p))


__all__ = ["SKIPPED", "UNCHANGED", "RunOptions", "RunResult", "SyncRun"]

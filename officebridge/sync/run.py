"""One run of one sync: extract -> map -> resolve -> diff -> write -> record.

The run holds one batch at a time. For each batch it plans every record and
writes the changes in target-sized chunks of one kind; the links, dead letters
and counts of each chunk are committed as soon as its answer is in, and the
batch's watermark only after the last chunk. So when a later chunk fails
transiently, the records that landed are already linked: the rest of the batch
is planned again and nothing is written twice, in every mode, with or without a
match field. A crash between a chunk's answer and its commit is covered by the
match field (the rerun finds what landed). A mapping without one (`mode:
insert`) commits an IN_FLIGHT dead letter for each record of a create chunk
before sending it, which the chunk's commit clears; a record whose marker
outlived its run, like one whose write had an unknown outcome, is never resent
by the engine (nothing can find it): its open letter says a person must check.

What overlaps, and only where nothing committed can change because of it: the
source's next pages are read by a reader thread (`readahead.py`); a chunk's
outcome is committed while the next chunk of its batch is in flight; the next
batch is planned while a batch's last chunk is (`overlap.py` says when those
plans are kept). Commits stay in order: chunk by chunk, then the watermark.

The watermark is the highest change stamp of the page, never later than the
run's start (a source clock running ahead must not hide later changes; such
stamps are counted in the run's notes), or the page's resume token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, cast

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
from officebridge.errors import (
    AuthenticationError,
    OutcomeUnknownError,
    RecordError,
    RetriableError,
    TLSVerificationError,
    UnreachableError,
)
from officebridge.mapping.sensitive import sensitive_sources
from officebridge.quality.gate import QualityGate
from officebridge.retry import DEFAULT_POLICY, RetryCounter, RetryPolicy, counting
from officebridge.secrets import MASK, redact
from officebridge.state import LinkWrite, NewDeadLetter, StateStore
from officebridge.state.dead_letters import IN_FLIGHT
from officebridge.sync.counts import Counts
from officebridge.sync.lifecycle import Life, lifecycle
from officebridge.sync.notes import RunNotes
from officebridge.sync.overlap import Ahead, Feed, Serialized, in_flight
from officebridge.sync.plan import (
    ADOPT,
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
from officebridge.sync.readahead import read_ahead

log = logging.getLogger(__name__)
DEFAULT_OVERLAP = timedelta(minutes=5)
_WRITE_ACTIONS = (CREATE, UPDATE, ARCHIVE, DELETE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARKED_CODES = (OUTCOME_UNKNOWN, IN_FLIGHT)  # a write that may have landed, its answer not recorded


def _not_applied(exc: BaseException) -> bool:
    """Whether a write that raised `exc` left the target untouched.

    The connector contract: a call whose answer was lost is reported UNKNOWN per
    op, never raised; what is raised (a rate limit or 5xx outliving the retries, a
    refused login, an unreachable host) was not applied. Anything else may have been.
    """
    known = (RetriableError, AuthenticationError, UnreachableError, TLSVerificationError)
    return isinstance(exc, known) and not isinstance(exc, OutcomeUnknownError)


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
    settle_batch: int = 500  # writes of unknown outcome settled per committed chunk
    read_ahead: int = 2  # source pages read ahead by a reader thread while a page is written (0: inline)
    plan_ahead: bool = True  # plan the next page while this one's last write is in flight (sync/overlap.py)


@dataclass(slots=True)
class RunResult:
    sync: str
    run_id: int | None
    status: str
    counts: Counts
    seconds: float
    error: str | None = None
    watermark: Watermark | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # future stamps, late arrivals, re-created, ...
    retried: int = 0  # remote calls retried during the run (officebridge.retry counts them)


DEFAULT_OPTIONS = RunOptions()
Progress = Callable[[Counts], None]


def send(connector: Connector, obj: str, ops: list[WriteOp], caps: Capabilities) -> dict[str, WriteResult]:
    """Write `ops` to `obj` in one request; one result per op, by ref.

    Each op is checked against the system's capabilities first (`invalid_op`, the one
    check): an op that cannot be sent fails here, alone, and is never sent.
    """
    results: dict[str, WriteResult] = {}
    sendable: list[WriteOp] = []
    for op in ops:
        refused = invalid_op(op, caps, obj)
        if refused is None:
            sendable.append(op)
        else:
            results[op.ref] = refused
    for result in connector.write(obj, sendable) if sendable else []:
        results[result.ref] = result
    return results


def _masked(values: dict[str, Any], sensitive: set[str]) -> dict[str, Any]:
    return {k: (MASK if k in sensitive and v not in (None, "") else v) for k, v in values.items()}


class SyncRun:
    """Runs one mapping against its two connectors and the state store."""

    plans_ahead: ClassVar[bool] = True  # whether `process` takes plans made ahead (sync/overlap.py)

    def __init__(
        self,
        mapping: Any,
        compiled: Any,
        source: Connector,
        target: Connector,
        store: StateStore,
        *,
        options: RunOptions = DEFAULT_OPTIONS,
        retried_before: RetryCounter | None = None,
    ) -> None:
        self.mapping = mapping
        self.compiled = compiled
        self.sync: str = mapping.name
        self.source = source
        self.target = target
        self.store = store
        self.options = options
        self.serial = Serialized(target)  # the planner's calls and the write in flight take turns
        self.planner = Planner(self.sync, compiled, mapping, cast("Connector", self.serial), store)
        self.parked: set[str] = set()  # source ids whose last write outcome is unknown and not yet settled
        self.sensitive: set[str] = set(compiled.sensitive)
        self.quality = QualityGate.for_mapping(mapping, sorted(self.sensitive))  # no-op without checks
        self.reads: Capabilities = source.manifest.capabilities
        self.writes: Capabilities = target.manifest.capabilities
        most = self.writes.write_call  # max_write_batch, unless the connector answers every op of more
        self.write_batch = max(1, min(mapping.target.batch_size or most, most))
        self.cursor: str = mapping.source.cursor or self.reads.cursors_for(mapping.source.object)[0]
        self.started_at = datetime.now(UTC)
        self.settled_before = self.started_at  # writes of unknown outcome older than this have settled
        self.previous: Watermark | None = None  # the watermark when this run began
        self.notes = RunNotes(options.overlap)
        self.life: Life | None = None
        self.made_ahead: Ahead | None = None  # the next batch, planned while this one's last write was out
        self.retried_before = retried_before  # retries of preparing the run (its logins, describes)

    def begin(self) -> None:
        """A new run starts (called by the lifecycle once the lock is held).

        Records whose last write may have landed unrecorded are parked: left alone
        by this run (see `settle_unknown_writes`), whatever entry point runs it.
        """
        self.started_at = datetime.now(UTC)
        self.previous = self.store.watermark(self.sync)
        self.notes = RunNotes(self.options.overlap)
        self.settled_before = self.started_at - self.options.settle
        # not settled yet: leave them parked, even when the overlap window reads them again
        after = self.settled_before if self.can_find else _EPOCH  # without match: never settled
        self.parked = set[str]().union(
            *(self.store.open_letter_ids(self.sync, code, after=after) for code in _PARKED_CODES)
        )

    def beat(self) -> None:
        if self.life is not None:
            self.life.beat()

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

    def read_fields(self) -> list[str]:
        """The source fields every read of this run asks for (a page, or records again by id)."""
        return list(self.compiled.source_fields)

    def request(
        self, since: Watermark | None, *, until: datetime | None = None, batch_size: int | None = None
    ) -> ReadRequest:
        """The read of this mapping: its fields, cursor and native filter, from `since` on."""
        src = self.mapping.source
        return ReadRequest(
            object=src.object,
            fields=tuple(self.read_fields()),
            since=since,
            until=until,
            cursor=self.cursor,
            filter=src.filter,
            include_deleted=bool(src.deletes),
            batch_size=batch_size or self.options.read_batch,
        )

    def batches(self, since: Watermark | None, *, until: datetime | None = None) -> Iterator[Page]:
        return self.source.read(self.request(since, until=until))

    @contextmanager
    def pages(self, since: Watermark | None, *, until: datetime | None = None) -> Iterator[Iterator[Page]]:
        """The pages of a run, read ahead (`RunOptions.read_ahead`); the reader stops with the block."""
        pages = read_ahead(self.batches(since, until=until), self.options.read_ahead)
        try:
            yield pages
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def mark_after(self, page: Page) -> Watermark | None:
        """The watermark once `page` is committed: its resume token, or its highest change stamp."""
        if self.token_cursor:
            return page.resume
        stamps = [r.cursor for r in page.records if r.cursor is not None]
        return self.clamped(max(stamps)) if stamps else None

    def clamped(self, stamp: datetime) -> datetime:
        """A stamp as a watermark: never past this run's start (future stamps are noted when read)."""
        return min(stamp, self.started_at)

    def _observe(self, records: list[SourceRecord], since: Watermark | None) -> None:
        for r in records:
            if r.cursor is None:
                continue
            if r.cursor > self.started_at:
                self.notes.future(r.cursor)
            if isinstance(since, datetime) and r.cursor < since:
                self.notes.too_old(r.cursor)

    # --- the run ---------------------------------------------------------------

    @contextmanager
    def count_retries(self, life: Life) -> Iterator[RetryCounter]:
        """Count the run's retries into its detail, those made while it was prepared included.

        Those are counted once, for the first run of this object.
        """
        carry, self.retried_before = self.retried_before, None
        with counting(life.detail, carry=carry) as counter:
            yield counter

    def run(self, progress: Progress | None = None) -> RunResult:
        with lifecycle(self) as life, self.count_retries(life) as retried:
            self.life = life
            self.settle_unknown_writes(life)
            since = self.since()
            with self.pages(since) as pages:
                feed = Feed(pages)
                ahead: Ahead | None = None
                plan_ahead = self.plans_ahead and self.options.plan_ahead and self.planner.can_plan_ahead()
                # in order; the reading of later pages, and the planning of the next, overlap this loop
                while (page := feed.take()) is not None:
                    self._observe(page.records, since)
                    mark = self.mark_after(page)
                    if plan_ahead:
                        counts = self.process(
                            life.run_id,
                            page.records,
                            watermark=mark,
                            ahead=ahead,
                            meanwhile=partial(self._plan_ahead, feed, page),
                        )
                        ahead, self.made_ahead = self.made_ahead, None
                    else:
                        counts = self.process(life.run_id, page.records, watermark=mark)
                    life.counts.add(counts)
                    life.beat()
                    if progress is not None:
                        progress(life.counts)
        assert life.result is not None
        life.result.retried = retried.total
        return life.result

    def _plan_ahead(self, feed: Feed[Page], page: Page, in_flight_keys: set[Any]) -> Ahead | None:
        """Plan the page after `page` while `page`'s last write is out (see sync/overlap.py).

        Returns None when there is no next page or it cannot be planned ahead; the
        plans are None when they must be made again after the write.
        """
        following = feed.peek()
        if following is None:
            return None
        current = {r.id for r in page.records}
        todo = [r for r in following.records if r.id not in self.parked]
        if any(r.id in current for r in todo):
            return Ahead(following.records, None)
        restore = self.planner.checkpoint()
        try:
            plans = self.planner.plan(todo)
            self.quality.apply(plans)
        except Exception:  # raised again, in order, when the page is planned in its turn
            restore()
            return Ahead(following.records, None)
        if any(p.action == FAILED for p in plans) or (self.planner.match_keys(plans) & in_flight_keys):
            restore()
            return Ahead(following.records, None)
        return Ahead(following.records, plans, restore)

    @property
    def can_find(self) -> bool:
        """Whether a record that may have landed can be found in the target (a match field)."""
        return self.planner.match_field is not None

    def settle_unknown_writes(self, life: Life) -> None:
        """Records whose earlier write had an unknown outcome go through again, once it has settled.

        Planning looks each one up through the match field first, so a write that did
        land is adopted, and only one that did not is created. They go in committed
        chunks of `settle_batch` (a transient failure loses one chunk's work, not all).
        Without a match field nothing can find them: they stay parked (`begin`), never
        resent, until a person checks the target and replays or ignores their letters.
        """
        if not self.can_find:
            return
        for code in _PARKED_CODES:  # IN_FLIGHT: left by a run of the mapping before it had a match field
            after = 0
            while True:
                page = self.store.open_letters_page(
                    self.sync,
                    code,
                    before=self.settled_before,
                    after_id=after,
                    limit=self.options.settle_batch,
                )
                if not page:
                    break
                after = page[-1].id
                counts, _found = self.reprocess(life.run_id, [d.source_id for d in page])
                life.counts.add(counts)
                life.beat()

    def reprocess(self, run_id: int, ids: list[str]) -> tuple[Counts, set[str]]:
        """Read these records again by id and sync them in committed chunks, without moving the watermark.

        Returns the counts and the ids the source still has. The watermark stays: a
        record read again may be newer than records the next run has still to read.
        """
        counts, found = Counts(), set[str]()
        step = max(1, self.options.settle_batch)
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            records = self.source.fetch(self.mapping.source.object, self.read_fields(), chunk)
            if records:
                counts.add(self.process(run_id, records, reread=True))
            found |= {r.id for r in records}
            self.beat()
        return counts, found

    def process(
        self,
        run_id: int,
        records: list[SourceRecord],
        *,
        watermark: Watermark | None = None,
        reread: bool = False,
        ahead: Ahead | None = None,
        meanwhile: Callable[[set[Any]], Ahead | None] | None = None,
    ) -> Counts:
        """Plan, write and record one batch, with the watermark to commit after it; returns its counts.

        Each write chunk is committed as it lands (see the module docstring); what
        is left (unchanged, skipped, adopted, failed in planning) and the watermark
        go in one last commit. `ahead`: this batch's plans, made while the batch
        before was written; `meanwhile`: what to do while this batch's last write
        is in flight (given its match keys), see sync/overlap.py.
        """
        todo = [r for r in records if r.id not in self.parked]
        total = Counts()
        committed: set[str] = set()
        attempt = 1
        while True:
            pending = [r for r in todo if r.id not in committed]
            if ahead is not None and ahead.plans is not None and ahead.records is records:
                plans, ahead.plans = ahead.plans, None  # made and checked while the batch before was written
            else:
                plans = self.planner.plan(pending)
                self.quality.apply(plans)  # schema and expectations: may fail plans or reject the batch
            try:
                self._write_committed(run_id, plans, committed, total, meanwhile)
                break
            except BaseException as exc:
                if self.made_ahead is not None:  # the retry plans this batch as if nothing had been
                    self.made_ahead.drop()
                    self.made_ahead = None
                if not isinstance(exc, RetriableError):
                    raise
                # the connector owns per-call retries: a call it already retried is not multiplied here
                # (the run fails; the scheduler's retry runs it again, and committed chunks stay found)
                if attempt >= self.options.retry.attempts or exc.attempts > 1:
                    raise
                wait = self.options.retry.delay(attempt, exc.retry_after)
                log.warning(
                    "%s: write failed (%s); planning the rest of the batch again in %.1fs",
                    self.sync,
                    exc,
                    wait,
                )
                time.sleep(wait)
                attempt += 1
        rest = [p for p in plans if p.action not in _WRITE_ACTIONS]
        if not reread:
            self._note_late(plans)
        counts, links, deleted, letters, resolved = self.outcome(rest, {})
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
        total.add(counts)
        return total

    def _note_late(self, plans: list[Planned]) -> None:
        """Changes read again in the overlap window that the last run never saw: they arrived late."""
        mark = self.previous
        if not isinstance(mark, datetime):
            return
        for p in plans:
            if p.action in (CREATE, UPDATE) and p.record.cursor is not None and p.record.cursor < mark:
                self.notes.late(mark - p.record.cursor)

    def _write_committed(
        self,
        run_id: int,
        plans: list[Planned],
        committed: set[str],
        total: Counts,
        meanwhile: Callable[[set[Any]], Ahead | None] | None = None,
    ) -> None:
        """Write the plans' operations chunk by chunk, committing each chunk's outcome (added to `total`).

        A chunk's outcome is committed while the next chunk is in flight (the chunks of
        a batch were planned together: none depends on another's answer), so the
        target is not left idle while the state store commits; a crash in between is
        one between an answer and its commit, covered by the match field. A mapping
        without one commits each chunk before the next chunk's IN_FLIGHT markers, as
        a sequential run does, so no answer it already holds waits on those markers.
        While the last chunk is out, `meanwhile` runs too (given its match keys), after
        that commit, and what it returns is kept in `made_ahead`.
        """
        chunks = list(self.chunks([p for p in plans if p.action in _WRITE_ACTIONS]))
        finish: Callable[[], None] | None = None  # commits the chunk before, once the next is out
        for n, chunk in enumerate(chunks, 1):
            if finish is not None and not self.can_find:  # its IN_FLIGHT markers come after that commit
                finish()
                finish = None
            marked = self._mark_in_flight(run_id, chunk)
            ahead = meanwhile if n == len(chunks) else None
            try:
                if finish is None and ahead is None:
                    results = self.write(chunk)
                else:
                    keys = self.planner.match_keys(chunk) if ahead is not None else set()
                    results = in_flight(
                        partial(self.write, chunk), partial(self._meanwhile, finish, ahead, keys)
                    )
            except Exception as exc:
                if marked and _not_applied(exc):  # nothing landed: the markers become plain failures
                    self.store.commit_batch(self.sync, run_id, dead_letters=self._not_sent(chunk, exc))
                raise  # anything else may have landed: the markers stay, the records parked
            finish = partial(self._commit_chunk, run_id, chunk, results, committed, total)
        if finish is not None:
            finish()

    def _commit_chunk(
        self,
        run_id: int,
        chunk: list[Planned],
        results: dict[str, WriteResult],
        committed: set[str],
        total: Counts,
    ) -> None:
        """Record what one written chunk did: links, dead letters and counts, in one commit."""
        results = self._recreate_missing(chunk, results)
        counts, links, deleted, letters, resolved = self.outcome(chunk, results)
        self.store.commit_batch(
            self.sync,
            run_id,
            links=links,
            deleted=deleted,
            dead_letters=letters,
            resolved=resolved,
            counts=counts.as_dict(),
        )
        committed.update(p.record.id for p in chunk)
        if not self.can_find:  # a record read again later in this run is not resent either
            self.parked.update(d.source_id for d in letters if d.error_code == OUTCOME_UNKNOWN)
        total.add(counts)
        self.beat()

    def _meanwhile(
        self,
        finish: Callable[[], None] | None,
        ahead: Callable[[set[Any]], Ahead | None] | None,
        keys: set[Any],
    ) -> None:
        """While a chunk is out: commit the one before it, then (last chunk) plan the next batch."""
        if finish is not None:
            finish()
        if ahead is not None:
            self.made_ahead = ahead(keys)

    def _mark_in_flight(self, run_id: int, chunk: list[Planned]) -> bool:
        """Before a create chunk of a mapping that cannot find what landed: commit an IN_FLIGHT
        letter per record, so a crash before the chunk's commit leaves them parked, not resent.

        One small commit per create chunk, for such mappings only; the chunk's commit clears them.
        """
        if self.can_find or not chunk or chunk[0].action != CREATE:
            return False
        obj = self.mapping.target.object
        message = (
            f"in flight: run {run_id} sent this create to {obj}; while this letter is open that run has "
            f"not recorded the answer (it stopped first), so the record may have been created in {obj}. "
            "The mapping has no match field to look it up by, so it is not sent again: check the "
            "target, then replay this letter if the record is missing there, or ignore it if it is there"
        )
        markers = [NewDeadLetter(p.record.id, "write", IN_FLIGHT, message, self._payload(p)) for p in chunk]
        self.store.commit_batch(self.sync, run_id, dead_letters=markers)
        return True

    def _not_sent(self, chunk: list[Planned], exc: Exception) -> list[NewDeadLetter]:
        """The letters of a create chunk whose request raised before anything was applied."""
        message = redact(f"the create was not applied ({type(exc).__name__}: {exc}); it is sent again later")
        return [NewDeadLetter(p.record.id, "write", "WRITE_FAILED", message, self._payload(p)) for p in chunk]

    def chunks(self, plans: list[Planned]) -> Iterator[list[Planned]]:
        """Chunks of one action each, of at most `write_batch` ops: one connector call per chunk.

        A call answers every op of its chunk; a connector that declares a larger
        `max_write_call` than its request size splits the call itself and promises
        that answer even when one of its requests fails."""
        by_action: dict[str, list[Planned]] = {}
        for p in plans:
            by_action.setdefault(p.action, []).append(p)
        for group in by_action.values():
            for start in range(0, len(group), self.write_batch):
                yield group[start : start + self.write_batch]

    def write(self, plans: list[Planned]) -> dict[str, WriteResult]:
        """Send one chunk's operations; one result per plan, by source id.

        Each op is checked against the target's capabilities first (`invalid_op`, the one
        check): an op that cannot be sent fails here, alone. A result of unknown outcome is
        parked by `outcome` (never resent blindly); see `settle_unknown_writes`.
        """
        ops = [p.op(self.planner.match_field) for p in plans]
        with self.serial.lock:  # planning ahead may call the target meanwhile
            return send(self.target, self.mapping.target.object, ops, self.writes)

    def _recreate_missing(
        self, chunk: list[Planned], results: dict[str, WriteResult]
    ) -> dict[str, WriteResult]:
        """Updates refused because the linked target record was deleted by hand: create it again.

        The match field tells "gone" from any other refusal (a record that is still
        there is found). Mode update never creates: it says so in a dead letter.
        """
        failed = [
            p
            for p in chunk
            if p.action == UPDATE
            and p.record.id in results
            and results[p.record.id].status is WriteStatus.FAILED
        ]
        keyed = {p.record.id: (p.values or {}).get(self.planner.match_field or "") for p in failed}
        keys = [k for k in keyed.values() if k not in (None, "")]
        if not keys or not self.can_find:
            return results
        found, _refused = self.planner.find(sorted(set(keys), key=str))
        gone = [p for p in failed if keyed[p.record.id] not in (None, "") and keyed[p.record.id] not in found]
        if not gone:
            return results
        if self.planner.mode == "update":
            for p in gone:
                results[p.record.id] = WriteResult(
                    p.record.id,
                    WriteStatus.FAILED,
                    p.target_id,
                    error_code="TARGET_RECORD_GONE",
                    message=f"the linked {self.mapping.target.object} {p.target_id} was deleted in the "
                    "target; mode update never creates one: create it by hand or change the mode, "
                    "then replay",
                )
            return results
        for p in gone:
            p.action, p.target_id, p.reason = (
                CREATE,
                None,
                "the linked target record was deleted; created again",
            )
        again = self.write(gone)
        self.notes.recreated += sum(1 for r in again.values() if r.ok)
        return results | again

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
                links.append(LinkWrite(source_id, str(target_id), None, p.target_hash or ""))
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
            elif p.action == ADOPT:  # found, linked, not written (mode insert)
                assert p.target_id is not None
                links.append(LinkWrite(source_id, p.target_id, None, p.target_hash or ""))
                resolved.append(source_id)
                counts.skipped += 1
                self.notes.adopted += 1
            elif p.action == SKIPPED:
                counts.skipped += 1
        return counts, links, deleted, letters, resolved

    # --- dead letters ----------------------------------------------------------

    def _payload(self, p: Planned) -> dict[str, Any]:
        return {
            "source": _masked(p.record.fields, self.sensitive | set(sensitive_sources(self.mapping))),
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
            if not self.can_find:
                obj = self.mapping.target.object
                message = (
                    f"{result.message or 'outcome unknown'}: the record may have been created in {obj}. The "
                    "mapping has no match field to look it up by, so it is not sent again: check the target, "
                    "then replay this letter if the record is missing there, or ignore it if it is there"
                )
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

"""Split a large initial load into cursor windows that separate workers can run.

A sync with no watermark yet must read its whole source once. Done as one run
it is bound to one worker; split into windows of the cursor (the change stamp)
it can fan out (Airflow's dynamic task mapping hands each window to its own
task, so Celery or Kubernetes executors spread them). The windows cover the
whole cursor line without overlap: the first is open below (records that have
no stamp fall there), the last is open above (anything changed while the load
runs lands there or in the next incremental run). Partition runs never move
the watermark, because a finished window says nothing about the windows still
running; `finish_partitions` sets it once, to the highest stamp any partition
wrote, after every partition succeeded. A partition is idempotent like any
batch: rerun after a failure, it finds what it wrote through links and the
match field. Only timestamp cursors are split: a token cursor has no line to
cut, so its initial load is one ordinary run.

Windows are spaced evenly between the oldest and the newest stamp. Both are
found with the one primitive every connector has, "the first record at or
after t" (a read of one record): the oldest directly, the newest by bisecting
between it and now (a few dozen one-record reads, no system-specific count
query). Skewed data gives uneven windows, never a wrong result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from officebridge.connector import CursorKind, SourceRecord, Watermark
from officebridge.errors import StateError
from officebridge.state import StateStore
from officebridge.sync.counts import Counts
from officebridge.sync.lifecycle import lifecycle, partition_lock
from officebridge.sync.run import RunResult, SyncRun

MAX_PARTITIONS = 64


@dataclass(frozen=True, slots=True)
class Partition:
    """One cursor window [since, until) of an initial load, or the whole incremental run.

    `incremental` means "no split: an ordinary run from the stored watermark";
    such a run advances the watermark itself, as every ordinary run does.
    """

    index: int
    count: int
    since: datetime | None = None
    until: datetime | None = None
    incremental: bool = False

    def contains(self, cursor: datetime | None) -> bool:
        if cursor is None:
            return self.since is None
        return (self.since is None or cursor >= self.since) and (self.until is None or cursor < self.until)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (an Airflow XCom value, a run's detail)."""
        return {
            "index": self.index,
            "count": self.count,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "incremental": self.incremental,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Partition:
        def stamp(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            index=int(data["index"]),
            count=int(data["count"]),
            since=stamp(data.get("since")),
            until=stamp(data.get("until")),
            incremental=bool(data.get("incremental")),
        )


INCREMENTAL = Partition(0, 1, incremental=True)


def first_cursor(run: SyncRun, since: datetime | None = None) -> datetime | None:
    """The stamp of the first record at or after `since` (None: no such record)."""
    pages = run.source.read(run.request(since, batch_size=1))
    with contextlib.closing(pages):  # type: ignore[type-var]
        for page in pages:
            stamps = [r.cursor for r in page.records if r.cursor is not None]
            if stamps:
                return min(stamps)
    return None


def newest_cursor(run: SyncRun, oldest: datetime, now: datetime, *, resolution: int = 64) -> datetime:
    """About the newest stamp: bisect [oldest, now] until the gap is 1/resolution of the span seen."""
    low, high = oldest, now
    for _ in range(60):
        if high - low <= max(low - oldest, timedelta(seconds=1)) / resolution:
            break
        middle = low + (high - low) / 2
        found = first_cursor(run, middle)
        if found is None or found >= high:
            high = middle
        else:
            low = found if found > low else middle
    return low


def plainly_incremental(store: StateStore, sync: str, count: int, cursor: CursorKind) -> bool:
    """Whether the plan is [INCREMENTAL] without asking the source: a token cursor (no windows to cut),
    one partition asked for, or a watermark already stored (not an initial load). The Airflow plan
    task asks this first, so an ordinary DAG run logs in and describes only in its load task."""
    return cursor is not CursorKind.TIMESTAMP or int(count) <= 1 or store.watermark(sync) is not None


def plan_partitions(run: SyncRun, count: int, *, now: datetime | None = None) -> list[Partition]:
    """The windows of an initial load, or [INCREMENTAL] when there is a watermark or nothing to split."""
    count = max(1, min(int(count), MAX_PARTITIONS))
    if plainly_incremental(run.store, run.sync, count, run.reads.cursor):
        return [INCREMENTAL]
    first = first_cursor(run)
    now = now or datetime.now(UTC)
    if first is None or first >= now:
        return [INCREMENTAL]
    last = newest_cursor(run, first, now, resolution=16 * count)
    if last <= first:
        return [INCREMENTAL]  # every record has the same stamp: nothing to split by
    step = (last - first) / count
    bounds: list[datetime | None] = [None, *(first + step * i for i in range(1, count)), None]
    return [Partition(i, count, bounds[i], bounds[i + 1]) for i in range(count)]


def lock_name(sync: str, part: Partition) -> str:
    return partition_lock(sync, part.index, part.count)


def run_partition(run: SyncRun, part: Partition) -> RunResult:
    """Run one window without moving the watermark; the run's detail records the highest stamp written.

    The same lifecycle as every run (quality detail, report, notes, interrupted runs
    closed by heartbeat); its own lock, refused while an ordinary run holds the
    sync's. An incremental "partition" is simply an ordinary run.
    """
    if part.incremental:
        return run.run()
    with (
        lifecycle(run, partition=part.as_dict()) as life,
        run.count_retries(life) as retried,
        run.pages(part.since, until=part.until) as pages,
    ):
        run.life = life
        highest: datetime | None = None
        for page in pages:  # read ahead; processed and committed in order
            records = page.records
            inside = [r for r in records if part.contains(r.cursor)]  # `until` bounds it; be sure
            if inside:
                run._observe(inside, part.since)
                life.counts.add(run.process(life.run_id, inside))
                stamps = [r.cursor for r in inside if r.cursor is not None]
                if stamps:
                    top = run.clamped(max(stamps))  # never a watermark past the run's start
                    highest = top if highest is None else max(highest, top)
            life.detail["max_cursor"] = highest.isoformat() if highest else None
            life.beat()
            if _beyond(part, records):
                break  # batches come ordered by cursor: the rest lies in later windows
        life.detail["max_cursor"] = highest.isoformat() if highest else None
    assert life.result is not None
    life.result.watermark = highest
    life.result.retried = retried.total
    return life.result


def _beyond(part: Partition, records: Sequence[SourceRecord]) -> bool:
    return part.until is not None and any(r.cursor is not None and r.cursor >= part.until for r in records)


def finish_partitions(store: StateStore, sync: str, run_ids: Iterable[int | None]) -> Watermark | None:
    """After every partition succeeded: set the watermark once, to the highest stamp written.

    Refuses (StateError) when a partition run is missing or did not finish, so a
    failed window can never be skipped by a watermark set past it.
    """
    highest: tuple[datetime, int] | None = None
    for run_id in run_ids:
        if run_id is None:  # an incremental run: it moved the watermark itself
            continue
        found = store.run(run_id)
        if found is None or found.sync != sync or "partition" not in (found.detail or {}):
            raise StateError(f"sync {sync!r}: run {run_id} is not a partition run of this sync")
        if found.status not in ("succeeded", "partial"):
            raise StateError(
                f"sync {sync!r}: partition run {run_id} ended {found.status!r}; watermark left as it was"
            )
        stamp = found.detail.get("max_cursor")
        if stamp:
            mark = datetime.fromisoformat(stamp)
            if highest is None or mark > highest[0]:
                highest = (mark, run_id)
    if highest is None:
        return store.watermark(sync)
    store.commit_batch(sync, highest[1], watermark=highest[0])
    return store.watermark(sync)


def partition_counts(results: Sequence[RunResult]) -> Counts:
    total = Counts()
    for result in results:
        total.add(result.counts)
    return total


__all__ = [
    "INCREMENTAL",
    "MAX_PARTITIONS",
    "Partition",
    "finish_partitions",
    "first_cursor",
    "lock_name",
    "newest_cursor",
    "partition_counts",
    "plan_partitions",
    "run_partition",
]

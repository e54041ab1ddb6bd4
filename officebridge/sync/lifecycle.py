"""The one lifecycle of every run: ordinary runs, partitions of an initial load, replays, settling.

Lock, close what died, open the run row, and at the end (or on any error) close
it with its quality detail, its HTML report and its notes. One lock is honoured
by every entry point: an ordinary run (CLI, Airflow, replay) holds the sync's
row in `sync_locks`; each partition of an initial load holds its own row
(`<sync>#partition-i-of-n`) so partitions run side by side. After taking its own
row each looks for the other kind, held now (by heartbeat, not by start time)
and refuses with SyncLockedError ("retry later") if it finds one. Both rows are
committed before either looks, so of two that start together at least one sees
the other: never both write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from officebridge.errors import SyncLockedError
from officebridge.secrets import redact
from officebridge.state import Lock
from officebridge.sync.counts import Counts

if TYPE_CHECKING:
    from officebridge.sync.run import RunResult, SyncRun

PARTITION_MARK = "#partition-"


def partition_lock(sync: str, index: int, count: int) -> str:
    return f"{sync}{PARTITION_MARK}{index}-of-{count}"


@dataclass(slots=True)
class Life:
    """A run in progress: its id, its counts so far, and its lock to keep alive."""

    run_id: int
    lock: Lock
    counts: Counts = field(default_factory=Counts)
    detail: dict[str, Any] = field(default_factory=dict)  # merged into the run's detail at the end
    status: str = "running"
    result: RunResult | None = None
    last_beat: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        """Keep the lock alive: a heartbeat write at most every 1/20 of its ttl (30 s of the default 600).

        The run beats after every committed chunk; writing the lock row each time was a
        transaction per 100-500 records for a lock that stays valid for minutes.
        """
        now = time.monotonic()
        if now - self.last_beat < self.lock.ttl / 20:
            return
        self.lock.heartbeat()
        self.last_beat = now


@contextmanager
def lifecycle(
    run: SyncRun, *, trigger: str | None = None, partition: dict[str, Any] | None = None
) -> Iterator[Life]:
    """Hold the right lock and the run row for the block; closes the row whatever happens."""
    from officebridge.sync.run import RunResult  # noqa: PLC0415 (run.py imports this module)

    store, sync = run.store, run.sync
    started = time.monotonic()
    own = str(getattr(run, "lock_name", sync))  # the two directions of a two-way sync share one lock
    name = own if partition is None else partition_lock(sync, partition["index"], partition["count"])
    with store.lock(name, ttl=run.options.lock_ttl) as lock:
        _refuse_other_kind(run, partition)
        _close_interrupted(run, name)
        detail = dict(run.options.detail or {})
        if partition is not None:
            detail["partition"] = partition
        run.begin()
        run_id = store.start_run(sync, trigger=trigger or run.options.trigger, detail=detail)
        life = Life(run_id, lock)
        try:
            yield life
        except BaseException as exc:
            error = redact(f"{type(exc).__name__}: {exc}")
            closing = {**run.quality.finish(run_id, "failed"), **run.notes.detail(), **life.detail}
            store.finish_run(run_id, status="failed", error=error, detail=closing)
            raise
        status = "partial" if life.counts.failed else "succeeded"
        closing = {**run.quality.finish(run_id, status), **run.notes.detail(), **life.detail}
        store.finish_run(run_id, status=status, detail=closing)
        life.status = status
        life.result = RunResult(
            sync,
            run_id,
            status,
            life.counts,
            time.monotonic() - started,
            watermark=store.watermark(sync),
            notes=dict(run.notes.detail().get("notes", {})),
        )


def _refuse_other_kind(run: SyncRun, partition: dict[str, Any] | None) -> None:
    store, sync = run.store, run.sync
    if partition is None:
        held = store.live_locks(prefix=sync + PARTITION_MARK)
        if held:
            raise SyncLockedError(
                f"sync {sync!r}: a partitioned initial load is running ({', '.join(held)}); "
                "try again after it"
            )
    elif store.live_locks(name=sync):
        raise SyncLockedError(f"sync {sync!r} is locked by a run in progress; this partition waits for it")


def _close_interrupted(run: SyncRun, ours: str) -> None:
    """Runs still 'running' whose lock nobody holds any more died mid-way (killed, host lost): say so.

    We hold our own lock and no run of the other kind holds one, so an ordinary
    run row still 'running' is dead, and so is one of this very partition.
    Rows of other partitions are judged by their own lock's heartbeat.
    """
    store, sync = run.store, run.sync
    for stale in store.runs(sync, limit=200):
        if stale.status != "running":
            continue
        theirs = (stale.detail or {}).get("partition")
        if theirs is not None:
            lock = partition_lock(sync, int(theirs.get("index", -1)), int(theirs.get("count", -1)))
            if lock != ours and store.live_locks(name=lock):
                continue  # alive: its heartbeat is recent
        store.finish_run(
            stale.id, status="failed", error="interrupted: the process stopped before the run finished"
        )

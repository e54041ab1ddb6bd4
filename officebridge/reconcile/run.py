"""One reconciliation: check under the sync's lock, store the counts, write the report, repair, check again.

The check holds the sync's lock (a run writing meanwhile would make links
appear for records the first pass read as unlinked), heartbeating as it
pages. A repair is an ordinary run of trigger `reconcile` (it takes the lock
itself), then a second check says what is left. The stored row keeps what the
first check found; `detail.remaining` what the second found.

Status: `clean` (nothing found), `repaired` (found, and the second check found
nothing), `drift` (found and not, or not all, repaired), `failed` (an error).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from officebridge.reconcile.check import check
from officebridge.reconcile.findings import Findings
from officebridge.reconcile.repair import RepairResult
from officebridge.reconcile.report import report_folder, write_reports
from officebridge.reconcile.scratch import Scratch
from officebridge.reconcile.subject import Subject
from officebridge.secrets import redact
from officebridge.state import Lock, StateStore
from officebridge.state import reconciliations as recs
from officebridge.sync.run import RunOptions

Repairer = Callable[[Scratch], RepairResult]
Checker = Callable[
    [Scratch, Callable[[], None]], Findings
]  # a subject's own comparison (a pair's: both ways)


@dataclass(frozen=True, slots=True)
class ReconcileOptions:
    repair: bool = False
    report_dir: Path | None = None  # default: $OFFICEBRIDGE_HOME/reports
    batch: int = 500  # records per page on each side
    trigger: str = "cli"
    lock_ttl: float = 600.0

    def run_options(self, detail: dict[str, object] | None = None) -> RunOptions:
        """The runs a reconciliation prepares and repairs through: its pages, lock and trigger."""
        return RunOptions(
            trigger="reconcile", read_batch=self.batch, lock_ttl=self.lock_ttl, settle_batch=self.batch,
            detail=detail,
        )  # fmt: skip


@dataclass(slots=True)
class Outcome:
    reconciliation: recs.Reconciliation
    found: Findings
    remaining: Findings | None = None
    repair: RepairResult | None = None
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.reconciliation.status

    @property
    def out_of_step(self) -> bool:
        """Drift found and not repaired (the CLI exits 3, as for a run that left dead letters)."""
        return self.status == "drift"


class _Beat:
    """Heartbeat the lock while pages go by: at most every 1/20 of its ttl."""

    def __init__(self, lock: Lock) -> None:
        self.lock, self.last = lock, time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.lock.ttl / 20:
            self.lock.heartbeat()
            self.last = time.monotonic()


def checked(
    subject: Subject,
    store: StateStore,
    scratch: Scratch,
    options: ReconcileOptions,
    checker: Checker | None = None,
) -> Findings:
    with store.lock(subject.name, ttl=options.lock_ttl) as lock:
        if checker is not None:
            return checker(scratch, _Beat(lock))
        return check(subject, scratch, batch=options.batch, beat=_Beat(lock))


def reconcile(
    subject: Subject,
    store: StateStore,
    options: ReconcileOptions,
    repairer: Repairer | None = None,
    *,
    checker: Checker | None = None,
) -> Outcome:
    """Compare, record, report and (with `options.repair` and a repairer) repair and compare again."""
    recs.close_interrupted(store, subject.name)
    rec_id = recs.start(store, subject.name, kind=subject.kind, trigger=options.trigger)
    try:
        with Scratch() as scratch:
            found = checked(subject, store, scratch, options, checker)
            repair: RepairResult | None = None
            remaining: Findings | None = None
            if options.repair and repairer is not None and found.total:
                repair = repairer(scratch)
                with Scratch() as again:
                    remaining = checked(subject, store, again, options, checker)
        status = _status(found, remaining)
        body = _body(subject, rec_id, status=status, found=found, remaining=remaining, repair=repair)
        reports = write_reports(report_folder(options.report_dir, subject.name), rec_id, body)
        counts = {**found.as_counts(), "repaired": repair.written if repair else 0}
        detail = {**_detail(found, remaining, repair), "reports": reports}
        row = recs.finish(store, rec_id, status=status, counts=counts, detail=detail)
    except BaseException as exc:
        recs.finish(
            store, rec_id, status="failed", counts={}, detail={}, error=redact(f"{type(exc).__name__}: {exc}")
        )
        raise
    return Outcome(row, found, remaining, repair, reports)


def _status(found: Findings, remaining: Findings | None) -> str:
    if not found.total:
        return "clean"
    if remaining is not None and not remaining.total:
        return "repaired"
    return "drift"


def _detail(found: Findings, remaining: Findings | None, repair: RepairResult | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"drifted_fields": dict(found.fields), "reasons": dict(found.reasons)}
    if repair is not None:
        detail["repair"] = repair.as_dict()
    if remaining is not None:
        detail["remaining"] = remaining.as_counts()
    return detail


def _body(
    subject: Subject,
    rec_id: int,
    *,
    status: str,
    found: Findings,
    remaining: Findings | None,
    repair: RepairResult | None,
) -> dict[str, Any]:
    return {
        "id": rec_id,
        "sync": subject.name,
        "kind": subject.kind,
        "a": subject.a_label,
        "b": subject.b_label,
        "status": status,
        "written_at": datetime.now(UTC).isoformat(),
        "found": found.as_dict(),
        "repair": repair.as_dict() if repair else None,
        "remaining": remaining.as_dict() if remaining else None,
    }

"""Reconciliations in the state store: the counts each comparison found, and the two link repairs it needs.

A reconciliation row is opened when a comparison starts and closed with its
counts, so the Syncs view and `officebridge status` show the last one beside
the last run. The counts come from reading both systems, never from the runs'
own counters.

Repair goes through the sync's normal write path; only two things must be
changed in the link table first, because planning trusts it: a drifted
record's stored hash equals the one its (unchanged) source maps to, so the
planner would skip it as unchanged (`forget_hashes` clears it), and a link to
a target record that is gone would be updated forever (`drop_links` removes
it, so planning finds the record by its match field or creates it again).
Both are called under the sync's lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from officebridge.state import StateStore
from officebridge.state._sql import chunks, scrub, unique, utcnow
from officebridge.state.engine import write_transaction
from officebridge.state.schema import links, reconciliations

COUNTS: Final = ("checked", "linked", "missing", "broken", "extra", "drifted", "unreadable", "repaired")
STATUSES: Final = ("running", "clean", "drift", "repaired", "failed")


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """One stored comparison of a sync's two sides."""

    id: int
    sync: str
    kind: str  # 'sync' (directional) | 'pair'
    trigger: str
    status: str  # one of STATUSES
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    error: str | None
    detail: dict[str, Any]

    @property
    def findings(self) -> int:
        """Everything that is out of step (missing and broken overlap: a broken link's record is missing)."""
        c = self.counts
        return c["missing"] + c["broken"] + c["extra"] + c["drifted"]


def _to(row: Any) -> Reconciliation:
    return Reconciliation(
        id=row.id,
        sync=row.sync,
        kind=row.kind,
        trigger=row.trigger,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts={name: int(getattr(row, f"count_{name}")) for name in COUNTS},
        error=row.error,
        detail=dict(row.detail or {}),
    )


def start(store: StateStore, sync: str, *, kind: str = "sync", trigger: str = "cli") -> int:
    with write_transaction(store.engine) as conn:
        result = conn.execute(
            sa.insert(reconciliations).values(
                sync=sync, kind=kind, trigger=trigger, status="running", started_at=utcnow(), detail={}
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish(
    store: StateStore,
    reconciliation_id: int,
    *,
    status: str,
    counts: Mapping[str, int],
    detail: Mapping[str, Any],
    error: str | None = None,
) -> Reconciliation:
    if status not in STATUSES[1:]:
        raise ValueError(f"a reconciliation ends {', '.join(STATUSES[1:])}, not {status!r}")
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise ValueError(f"unknown reconciliation counts: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {f"count_{k}": int(v) for k, v in counts.items()}
    with write_transaction(store.engine) as conn:
        conn.execute(
            sa.update(reconciliations)
            .where(reconciliations.c.id == reconciliation_id)
            .values(status=status, finished_at=utcnow(), error=error, detail=scrub(dict(detail)), **values)
        )
        row = conn.execute(sa.select(reconciliations).where(reconciliations.c.id == reconciliation_id)).one()
        return _to(row)


def recent(store: StateStore, sync: str | None = None, limit: int = 20) -> list[Reconciliation]:
    """Newest first."""
    query = sa.select(reconciliations).order_by(reconciliations.c.id.desc()).limit(limit)
    if sync is not None:
        query = query.where(reconciliations.c.sync == sync)
    with store.engine.connect() as conn:
        return [_to(row) for row in conn.execute(query)]


def latest(store: StateStore, sync: str) -> Reconciliation | None:
    """The last finished reconciliation of `sync` (a running one has no counts yet)."""
    query = (
        sa.select(reconciliations)
        .where(reconciliations.c.sync == sync, reconciliations.c.status != "running")
        .order_by(reconciliations.c.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
        return None if row is None else _to(row)


def forget_hashes(store: StateStore, sync: str, source_ids: Sequence[str]) -> int:
    """Clear the stored target hash of these links: their next planning writes them again."""
    done = 0
    with write_transaction(store.engine) as conn:
        for chunk in chunks(unique(source_ids)):
            result = conn.execute(
                sa.update(links)
                .where(links.c.sync == sync, links.c.source_id.in_(chunk))
                .values(target_hash=None)
            )
            done += int(result.rowcount or 0)
    return done


def drop_links(store: StateStore, sync: str, source_ids: Sequence[str]) -> int:
    """Remove these links (their target record is gone): planning finds or creates the record anew."""
    done = 0
    with write_transaction(store.engine) as conn:
        for chunk in chunks(unique(source_ids)):
            result = conn.execute(sa.delete(links).where(links.c.sync == sync, links.c.source_id.in_(chunk)))
            done += int(result.rowcount or 0)
    return done


def close_interrupted(store: StateStore, sync: str) -> int:
    """Reconciliations of `sync` still 'running' when no lock of it is held died mid-way: say so."""
    if store.live_locks(name=sync):
        return 0
    with write_transaction(store.engine) as conn:
        result = conn.execute(
            sa.update(reconciliations)
            .where(reconciliations.c.sync == sync, reconciliations.c.status == "running")
            .values(
                status="failed",
                finished_at=utcnow(),
                error="interrupted: the process stopped before the reconciliation finished",
            )
        )
        return int(result.rowcount or 0)

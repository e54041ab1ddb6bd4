"""The per-sync lock: two runs of one sync never overlap.

A lock is a row in `sync_locks`, so it works across processes and hosts on
any backend (an advisory lock would tie it to one PostgreSQL session, and
SQLite has none). Taking a free lock is one INSERT that the primary key makes
race-free; taking over a stale lock is one UPDATE conditioned on the holder
and heartbeat we saw (compare-and-swap), so of two contenders exactly one
wins. A lock is stale when its expiry passed, or when its owner names a
process on this host that no longer lives (a run killed with kill -9 must not
block the rerun for a whole TTL). Owners are "host:pid:uuid".
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from officebridge.errors import SyncLockedError
from officebridge.state._sql import utcnow
from officebridge.state.engine import write_transaction
from officebridge.state.schema import sync_locks

_ATTEMPTS = 3


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def owner_is_dead(owner: str) -> bool:
    """True only when the owner is certainly gone: a process of this host that no longer runs."""
    try:
        host, pid_text, _token = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, belongs to someone else
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet still answers kill(pid, 0)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


@dataclass(slots=True)
class Lock:
    """A held sync lock; call `heartbeat()` more often than every `ttl` seconds in long runs."""

    sync: str
    owner: str
    ttl: float
    acquired_at: datetime
    expires_at: datetime
    _engine: Engine = field(repr=False)

    def heartbeat(self) -> None:
        """Extend the lock; raises SyncLockedError if it was lost (expired and taken over)."""
        now = utcnow()
        expires = now + timedelta(seconds=self.ttl)
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                sa.update(sync_locks)
                .where(sync_locks.c.sync == self.sync, sync_locks.c.owner == self.owner)
                .values(heartbeat_at=now, expires_at=expires)
            )
        if result.rowcount != 1:
            raise SyncLockedError(
                f"lock of sync {self.sync!r} held by {self.owner} was lost "
                "(it expired and another run took it)"
            )
        self.expires_at = expires

    def release(self) -> None:
        with write_transaction(self._engine) as conn:
            conn.execute(
                sa.delete(sync_locks).where(sync_locks.c.sync == self.sync, sync_locks.c.owner == self.owner)
            )


def acquire(engine: Engine, sync: str, ttl: float) -> Lock:
    """Take the lock of `sync` or raise SyncLockedError naming the holder."""
    if ttl <= 0:
        raise ValueError("lock ttl must be positive")
    owner = new_owner()
    for _ in range(_ATTEMPTS):
        now = utcnow()
        expires = now + timedelta(seconds=ttl)
        values = {
            "sync": sync,
            "owner": owner,
            "acquired_at": now,
            "heartbeat_at": now,
            "expires_at": expires,
        }
        if _insert(engine, values) or _take_over_if_stale(engine, sync, values):
            return Lock(sync, owner, ttl, now, expires, engine)
    raise SyncLockedError(f"sync {sync!r} is locked: the lock changed hands {_ATTEMPTS} times while we tried")


def _insert(engine: Engine, values: dict[str, Any]) -> bool:
    try:
        with write_transaction(engine) as conn:
            conn.execute(sa.insert(sync_locks).values(**values))
    except sa.exc.IntegrityError:
        return False
    return True


def _take_over_if_stale(engine: Engine, sync: str, values: dict[str, Any]) -> bool:
    """CAS the holder's row to us if it is stale; False if it vanished meanwhile (retry insert)."""
    with write_transaction(engine) as conn:
        held = conn.execute(sa.select(sync_locks).where(sync_locks.c.sync == sync)).first()
        if held is None:
            return False
        expired = held.expires_at <= values["acquired_at"]
        if not expired and not owner_is_dead(held.owner):
            raise SyncLockedError(
                f"sync {sync!r} is locked by {held.owner} since {held.acquired_at.isoformat()} "
                f"(last heartbeat {held.heartbeat_at.isoformat()}, expires {held.expires_at.isoformat()})"
            )
        result = conn.execute(
            sa.update(sync_locks)
            .where(
                sync_locks.c.sync == sync,
                sync_locks.c.owner == held.owner,
                sync_locks.c.heartbeat_at == held.heartbeat_at,
            )
            .values(**{k: v for k, v in values.items() if k != "sync"})
        )
        return bool(result.rowcount == 1)


def live_holders(engine: Engine, *, name: str | None = None, prefix: str | None = None) -> list[str]:
    """Names of locks held now (not expired, owner not certainly dead): `name` exactly or by `prefix`.

    Runs and partitions of one sync hold different rows; each checks the other's
    after taking its own, so of two that start together at least one sees the other.
    """
    now = utcnow()
    stmt = sa.select(sync_locks.c.sync, sync_locks.c.owner).where(sync_locks.c.expires_at > now)
    if name is not None:
        stmt = stmt.where(sync_locks.c.sync == name)
    if prefix is not None:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sync_locks.c.sync.like(escaped + "%", escape="\\"))
    with engine.connect() as conn:
        rows = list(conn.execute(stmt))
    return sorted(row.sync for row in rows if not owner_is_dead(row.owner))

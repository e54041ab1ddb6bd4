"""The state store: links, watermarks, runs, dead letters and sync locks.

SQLAlchemy Core tables migrated by Alembic scripts shipped in this package;
SQLite by default, PostgreSQL in production. `StateStore` is the only entry
point the rest of officebridge uses.
"""

from __future__ import annotations

from officebridge.state.lock import Lock
from officebridge.state.records import (
    COUNT_NAMES,
    DeadLetter,
    Link,
    LinkState,
    LinkWrite,
    NewDeadLetter,
    Run,
    SyncSummary,
    Watermark,
)
from officebridge.state.store import StateStore

__all__ = [
    "COUNT_NAMES",
    "DeadLetter",
    "Link",
    "LinkState",
    "LinkWrite",
    "Lock",
    "NewDeadLetter",
    "Run",
    "StateStore",
    "SyncSummary",
    "Watermark",
]

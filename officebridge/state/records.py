"""The plain values the state store hands out and takes in.

Callers (the sync run, the CLI, the Airflow plugin) never see SQLAlchemy rows:
they get frozen dataclasses, so nothing they hold can lazily reach back into
a closed session, and nothing they change can leak into the database by
accident. Every datetime here is timezone-aware UTC; a watermark may also be
an opaque token (text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

LINK_STATES: Final = ("active", "deleted")
RUN_STATUSES: Final = ("running", "succeeded", "failed", "partial")
DEAD_LETTER_STATUSES: Final = ("open", "replayed", "ignored")
STAGES: Final = ("map", "lookup", "validate", "quality", "write", "conflict")
COUNT_NAMES: Final = ("read", "created", "updated", "unchanged", "skipped", "failed", "deleted")

# a change stamp (timestamp cursors, aware UTC) or an opaque resume token (token cursors)
Watermark = datetime | str


@dataclass(frozen=True, slots=True)
class Link:
    """One source record paired with its target record (the binder's entry)."""

    sync: str
    source_id: str
    target_id: str
    source_hash: str | None
    target_hash: str | None
    synced_at: datetime
    state: str  # 'active' | 'deleted'


class LinkState(NamedTuple):
    """What planning needs of a link (`StateStore.link_states`): a lean read on the hot path.

    A named tuple, not a dataclass like the other values here: one is made per record
    planned, and a tuple of texts is cheap to build and left alone by the garbage collector.
    """

    target_id: str
    target_hash: str | None
    state: str  # 'active' | 'deleted'


class LinkWrite(NamedTuple):
    """A link to create or refresh in `commit_batch` (upsert by sync + source id); one per
    record written, so a named tuple like `LinkState`."""

    source_id: str
    target_id: str
    source_hash: str | None = None  # the engine no longer computes it (never read; issue 13 may)
    target_hash: str | None = None


@dataclass(frozen=True, slots=True)
class PairLink:
    """One pair of records of a two-way sync, read by both of its directions.

    Per side: the record id, the last synced values of the fields the pair keeps
    (in that side's read form), the change stamp at that sync and a tombstone
    state. A value absent from `*_values` has no known base (an adopted link):
    a difference there is a conflict, settled by the field's policy.
    """

    pair: str
    a_id: str
    b_id: str
    a_values: dict[str, Any]
    b_values: dict[str, Any]
    a_stamp: datetime | None = None
    b_stamp: datetime | None = None
    a_state: str = "active"
    b_state: str = "active"

    def id(self, side: str) -> str:
        return self.a_id if side == "a" else self.b_id

    def values(self, side: str) -> dict[str, Any]:
        return self.a_values if side == "a" else self.b_values

    def state(self, side: str) -> str:
        return self.a_state if side == "a" else self.b_state

    def stamp(self, side: str) -> datetime | None:
        return self.a_stamp if side == "a" else self.b_stamp


@dataclass(frozen=True, slots=True)
class NewDeadLetter:
    """A record that failed in this batch; an open one for the same source id is bumped."""

    source_id: str
    stage: str
    error_code: str
    message: str
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"dead letter stage must be one of {', '.join(STAGES)}, not {self.stage!r}")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A stored per-record failure, with what is needed to understand and replay it."""

    id: int
    sync: str
    run_id: int | None
    source_id: str
    stage: str
    error_code: str
    message: str
    payload: dict[str, Any]
    attempts: int
    status: str  # 'open' | 'replayed' | 'ignored'
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Run:
    """One execution of one sync, with its outcome counts."""

    id: int
    sync: str
    status: str  # 'running' | 'succeeded' | 'failed' | 'partial'
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    error: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What the store knows about one sync, for `officebridge status` and the Syncs view."""

    sync: str
    last_run: Run | None
    watermark: Watermark | None
    links: int  # active links
    open_dead_letters: int

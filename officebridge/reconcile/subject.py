"""What reconciliation needs to know of the thing it compares: the interface a sync or a pair fills in.

Reconciliation never trusts the link table alone, so it asks four questions
of the two systems, each answered page by page:

- `linked`: the id pairs the state store says belong together (active links);
- `read_a`: side A's records in scope, read afresh (no watermark);
- `fetch_b`: side B's records by id, as that system holds them now;
- `compare`: for linked records of both sides, which fields differ.

A directional sync (`officebridge.reconcile.directional`) is the first
implementation: A is its source, B its target. A two-way pair answers the
same questions from its own link table and per-side values; comparing in both
directions is then two passes with the sides swapped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from officebridge.connector import SourceRecord


@dataclass(frozen=True, slots=True)
class LinkedIds:
    """One active link: side A's id and the side B id it points at."""

    a_id: str
    b_id: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """What `compare` found for one linked pair (or why it could not compare)."""

    a_id: str
    b_id: str
    drifted: tuple[str, ...] = ()  # field names whose values differ (names only: values may be sensitive)
    expected: dict[str, object] = field(default_factory=dict)  # the drifted fields' A-side values
    actual: dict[str, object] = field(default_factory=dict)  # ... and what B holds
    problem: str | None = None  # A could not be mapped (a dead letter's reason): nothing to compare


class Subject(Protocol):
    """A sync (or pair) as reconciliation sees it."""

    name: str
    kind: str  # 'sync' | 'pair': stored with the counts
    sensitive: frozenset[str]  # fields whose values never leave the comparison
    a_label: str  # "salesforce Account", for the report
    b_label: str

    @property
    def expects_every_record(self) -> bool:
        """False when B need not hold every A record (a sync in mode update): no link is then no drift."""

    def linked(self, batch: int) -> Iterator[list[LinkedIds]]:
        """Every active link, in pages of `batch`."""

    def links_of(self, a_ids: Sequence[str]) -> dict[str, str]:
        """The active links of these A ids: A id -> B id."""

    def read_a(self, batch: int) -> Iterator[list[SourceRecord]]:
        """Side A's records in scope (the sync's own filter and `where`), in pages, deleted ones left out."""

    def fetch_a(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        """Side A's records by id (deleted ones flagged), to tell a record gone from one out of scope."""

    def fetch_b(self, ids: Sequence[str]) -> dict[str, SourceRecord]:
        """Side B's records by id; absent when gone."""

    def compare(self, pairs: Sequence[tuple[SourceRecord, SourceRecord]]) -> list[Comparison]:
        """One comparison per (A record, B record) pair, in order."""

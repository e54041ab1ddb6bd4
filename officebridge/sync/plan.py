"""Decide, for one batch of source records, what must happen to each target record.

Planning reads (state store links, target lookups) but never writes, so the same
code serves `preview` and `run`. Every source record ends up with exactly one
action: create, update, archive, delete, adopt (link a record found in the
target without writing it: mode insert), unchanged, skipped or failed.

Match before create costs a lookup of every unlinked record's key. On an initial
load most of those lookups cannot find anything, and the planner says so once
instead (`_unkeyed`): when the sync has no link yet, no partition of it is
running, and the target says (`has_values`, an optional connector method) that
no record holds a value in the match field, a record whose match key is its own
source id cannot exist in the target except as something this run wrote and
linked. The first batch holding a key that is not its record's source id ends
that for the run (such a key may be another record's), and so does a batch
planned again (a write of it failed and may have landed in part): from then on
every key is looked up, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from officebridge.connector import Connector, OpKind, SourceRecord, WriteOp
from officebridge.errors import RecordError
from officebridge.state import LinkState, StateStore
from officebridge.sync.hashing import content_hash
from officebridge.sync.keys import bisected, field_pattern, hashable, key_problem
from officebridge.sync.lifecycle import PARTITION_MARK
from officebridge.sync.references import ReferenceResolver

CREATE, UPDATE, ARCHIVE, DELETE = "create", "update", "archive", "delete"
UNCHANGED, SKIPPED, FAILED, ADOPT = "unchanged", "skipped", "failed", "adopt"
_MAPPED = "mapped"  # between mapping and matching only: never an action a plan ends with
FILTERED = "filtered out by `where`"  # the reason of a skip that is not a change (preview leaves it out)
_OP_KIND = {CREATE: OpKind.CREATE, UPDATE: OpKind.UPDATE, ARCHIVE: OpKind.ARCHIVE, DELETE: OpKind.DELETE}


@dataclass(slots=True)
class Planned:
    """One source record and the action decided for it."""

    record: SourceRecord
    action: str
    values: dict[str, Any] | None = None
    target_id: str | None = None
    target_hash: str | None = None
    error: RecordError | None = None
    reason: str = ""

    def op(self, match_field: str | None) -> WriteOp:
        values = dict(self.values or {})
        if self.action == UPDATE and match_field:
            values.pop(match_field, None)  # it identifies the record: written on create, never on update
        if self.action in (ARCHIVE, DELETE):
            values = {}
        return WriteOp(
            kind=_OP_KIND[self.action], ref=self.record.id, values=values, target_id=self.target_id
        )


class Planner:
    """Maps, resolves references, compares hashes and picks an action per record."""

    def __init__(self, sync: str, compiled: Any, mapping: Any, target: Connector, store: StateStore):
        self.sync = sync
        self.compiled = compiled
        self.mode: str = mapping.target.mode
        self.on_delete: str = mapping.target.on_delete
        self.target_object: str = mapping.target.object
        self.match_field: str | None = compiled.match_field
        self.target = target
        self.store = store
        self.references = ReferenceResolver(compiled.lookups, target, store)
        self._match_pattern: tuple[re.Pattern[str] | None] | None = None
        self.unkeyed: bool | None = None  # the target held no match key when asked (None: not asked yet)
        self._shortcut: set[str] = set()  # ids of the last batch whose lookup `unkeyed` spared

    def plan(self, records: list[SourceRecord]) -> list[Planned]:
        links = self.store.link_states(self.sync, [r.id for r in records])
        plans = [Planned(r, SKIPPED) for r in records]
        live: list[Planned] = []
        for p in plans:
            if p.record.deleted:
                self._plan_delete(p, links.get(p.record.id))
            else:
                live.append(p)
        self._map(live)
        mapped = {p.record.id: p.values for p in live if p.action == _MAPPED and p.values is not None}
        failures = self.references.resolve(mapped)
        if failures:
            by_id = {p.record.id: p for p in live}
            for source_id, error in failures.items():
                self._fail(by_id[source_id], error)
        self._match(live, links)
        return plans

    def checkpoint(self) -> Callable[[], None]:
        """A way back to the planner's present state (what `has_values` spared), for plans
        made ahead of a write that may still fail (`officebridge.sync.overlap`)."""
        unkeyed, shortcut = self.unkeyed, self._shortcut

        def restore() -> None:
            self.unkeyed, self._shortcut = unkeyed, shortcut

        return restore

    def can_plan_ahead(self) -> bool:
        """Whether a batch may be planned while an earlier one is being written: not when a
        reference is looked up in the very object this sync writes, or through its own links."""
        return not any(
            (ref.via == "target" and ref.object == self.target_object)
            or (ref.via == "link" and ref.sync == self.sync)
            for ref in self.compiled.lookups
        )

    def match_keys(self, plans: list[Planned]) -> set[Any]:
        """The match keys these plans write (hashable stand-ins), to compare batches by."""
        if not self.match_field:
            return set()
        return {_safe(k) for p in plans if (k := self._match_key(p)) not in (None, "", False)}

    def find(self, keys: list[Any]) -> tuple[dict[Any, str], dict[Any, str]]:
        """Target ids of these match keys, and the keys that cannot be looked up (with why)."""
        if self.match_field is None or not keys:
            return {}, {}
        refused = self._refused(keys)
        todo = [k for k in keys if k not in refused]
        obj, name = self.target_object, self.match_field
        found, more = bisected(lambda part: self.target.lookup(obj, name, part), todo) if todo else ({}, {})
        return found, refused | more

    def _refused(self, keys: list[Any]) -> dict[Any, str]:
        """The keys that cannot be a value of the match field, with why (checked here, nothing sent)."""
        assert self.match_field is not None
        if self._match_pattern is None:
            self._match_pattern = (field_pattern(self.target, self.target_object, self.match_field),)
        pattern = self._match_pattern[0]
        return {k: why for k in keys if (why := key_problem(hashable(k), pattern)) is not None}

    def _map(self, live: list[Planned]) -> None:
        for p in live:
            try:
                values = self.compiled.map(p.record.fields)
            except RecordError as exc:
                exc.record_id = p.record.id
                self._fail(p, exc)
                continue
            if values is None:
                p.action, p.reason = SKIPPED, FILTERED
                continue
            p.values = values
            p.action = _MAPPED

    def _match(self, live: list[Planned], links: dict[str, LinkState]) -> None:
        pending = [p for p in live if p.action == _MAPPED]
        unlinked: list[Planned] = []
        for p in pending:
            p.target_hash = content_hash(p.values or {})
            link = links.get(p.record.id)
            if link is None:
                unlinked.append(p)
                continue
            self._linked(p, link)
        if not unlinked:
            return
        found, refused = self._find_existing(unlinked)
        claimed: dict[Any, str] = {}  # match key -> the source record of this batch that takes it
        for p in unlinked:
            key = self._match_key(p)
            safe = key if key.__class__ is str else _safe(key)
            if key not in (None, "", False) and not (refused and safe in refused):
                other = claimed.setdefault(safe, p.record.id)
                if other != p.record.id:
                    self._fail(p, self._taken(key, other, p.record.id))
                    continue
            if refused and safe in refused:
                self._fail(
                    p,
                    RecordError(
                        f"{self.match_field}: value {key!r} cannot be looked up in {self.target_object}: "
                        f"{refused[safe]}",
                        stage="lookup",
                        code="MATCH_KEY_INVALID",
                        field=self.match_field,
                        record_id=p.record.id,
                    ),
                )
                continue
            existing = found.get(safe) if found else None
            if existing is not None:
                p.target_id = existing
                if self.mode == "insert":
                    # linked, never written: a retried or settled create that did land, or a record
                    # made by hand; the link lets other syncs refer to it
                    p.action, p.reason = ADOPT, f"a target record with this {self.match_field} already exists"
                else:
                    p.action = UPDATE  # adopt it: a crashed earlier run, or a record made by hand
            elif self.mode == "update":
                p.action, p.reason = SKIPPED, f"no target {self.target_object} matches {self.match_field}"
            else:
                p.action = CREATE

    def _taken(self, key: Any, other: str, record_id: str) -> RecordError:
        """Two source records of one batch with one match key would become two target records."""
        return RecordError(
            f"{self.match_field}: value {key!r} is also the key of source record {other} in this batch; "
            f"one {self.target_object} per key: correct the data, or match on a field that is unique",
            stage="lookup",
            code="DUPLICATE_MATCH_KEY",
            field=self.match_field,
            record_id=record_id,
        )

    def _linked(self, p: Planned, link: LinkState) -> None:
        p.target_id = link.target_id
        if link.target_hash == p.target_hash and link.state == "active":
            p.action = UNCHANGED
        elif self.mode == "insert":
            p.action, p.reason = SKIPPED, "mode insert never updates a linked record"
        else:
            p.action = UPDATE

    def _match_key(self, p: Planned) -> Any:
        if not self.match_field or p.values is None:
            return None
        return p.values.get(self.match_field)

    def _find_existing(self, unlinked: list[Planned]) -> tuple[dict[Any, str], dict[Any, str]]:
        if not self.match_field:
            return {}, {}
        field = self.match_field
        again = bool(self._shortcut) and any(p.record.id in self._shortcut for p in unlinked)
        if again:  # this batch is planned again after a write failed: what landed must be found
            self.unkeyed = False
        keyed = [p for p in unlinked if (p.values or {}).get(field) not in (None, "", False)]
        if any(p.values[field] != p.record.id for p in keyed if p.values is not None):
            self.unkeyed = False  # a key that is not a source id may be another record's: look all up
        spared: set[str] = set()
        if keyed and self._unkeyed():
            spared = {p.record.id for p in keyed}
        self._shortcut = spared
        keys = {
            _safe(k)
            for p in unlinked
            if p.record.id not in spared and (k := self._match_key(p)) not in (None, "", False)
        }
        found, refused = self.find(sorted(keys, key=str))
        return found, (refused | self._refused(list(spared)) if spared else refused)

    def _unkeyed(self) -> bool:
        """Whether no target record can hold a key of this sync's own records (asked once per run)."""
        if self.unkeyed is None:
            probe = getattr(self.target, "has_values", None)
            assert self.match_field is not None
            self.unkeyed = bool(
                probe is not None
                and not any(True for _ in self.store.iter_links(self.sync, 1))
                and not self.store.live_locks(prefix=self.sync + PARTITION_MARK)
                and probe(self.target_object, self.match_field) is False
            )
        return self.unkeyed

    def _plan_delete(self, p: Planned, link: LinkState | None) -> None:
        if link is None or link.state != "active":
            p.action, p.reason = SKIPPED, "deleted at the source; nothing linked to remove"
        elif self.on_delete == "ignore":
            p.action, p.reason = SKIPPED, "deleted at the source; on_delete is ignore"
        else:
            p.action, p.target_id = (ARCHIVE if self.on_delete == "archive" else DELETE), link.target_id

    @staticmethod
    def _fail(p: Planned, error: RecordError) -> None:
        p.action, p.error = FAILED, error


def _safe(key: Any) -> Any:
    """A hashable stand-in for a match key (an unhashable value is refused by `key_problem`)."""
    key = hashable(key)
    try:
        hash(key)
    except TypeError:
        return _Unhashable(repr(key)[:80])
    return key


@dataclass(frozen=True, slots=True)
class _Unhashable:
    shown: str

    def __repr__(self) -> str:
        return self.shown

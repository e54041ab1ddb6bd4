"""Resolve reference fields of a mapped batch in a few calls, not one per record.

A mapped record holds, for each reference field, the *key* to resolve: a value
to find in the target system (a country name -> res.country id) or a source id
of another sync (Contact.AccountId -> the partner that sync created). Keys of a
whole batch are resolved together; target lookups are cached for the run in a
bounded cache, link lookups always read the state store (links change as the
run goes on).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from officebridge.connector import Connector
from officebridge.errors import RecordError
from officebridge.mapping.compiler import LookupRef
from officebridge.state import StateStore
from officebridge.sync.keys import bisected, field_pattern, hashable, key_problem


def _parts(key: Any) -> list[Any]:
    """The keys one mapped value stands for: the items of a list, else the value itself."""
    return [k for k in key if k is not None] if isinstance(key, list) else [key]


class _KeyCheck:
    """`key_problem` memoised by (type, key) for one batch: a country name is checked once, not per record
    (by type too, as True == 1 but only one of them is a key)."""

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.seen: dict[tuple[type, Any], str | None] = {}
        self.texts: dict[str, str | None] = {}  # the same memo for keys of type str exactly

    def __call__(self, key: Any) -> str | None:
        if key.__class__ is str:
            problem = self.texts[key] = key_problem(key, self.pattern)
            return problem
        if isinstance(key, tuple):
            return key_problem(key, self.pattern)
        try:
            memo = (type(key), key)
            if memo in self.seen:
                return self.seen[memo]
        except TypeError:  # unhashable: refused by key_problem
            return key_problem(key, self.pattern)
        problem = self.seen[memo] = key_problem(key, self.pattern)
        return problem


class _BoundedCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, str | None] = OrderedDict()

    def get_many(self, keys: set[Any]) -> tuple[dict[Any, str | None], set[Any]]:
        found = {k: self.data[k] for k in keys if k in self.data}
        return found, keys - found.keys()

    def put(self, key: Any, value: str | None) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.size:
            self.data.popitem(last=False)


class ReferenceResolver:
    """Turns reference keys into target ids for one run."""

    def __init__(
        self, refs: Sequence[LookupRef], target: Connector, store: StateStore, cache_size: int = 50_000
    ):
        self.refs = list(refs)
        self.target = target
        self.store = store
        self.caches = {id(ref): _BoundedCache(cache_size) for ref in self.refs if ref.via == "target"}
        self.calls = 0
        self.patterns: dict[int, re.Pattern[str] | None] = {}

    def _pattern(self, ref: LookupRef) -> re.Pattern[str] | None:
        if ref.via != "target" or ref.object is None or ref.field is None:
            return None  # link keys are source ids of another sync: any text is a fair key
        if id(ref) not in self.patterns:
            self.patterns[id(ref)] = field_pattern(self.target, ref.object, ref.field)
        return self.patterns[id(ref)]

    def resolve(self, mapped: dict[str, dict[str, Any]]) -> dict[str, RecordError]:
        """Replace keys by ids in place; return the records that failed, by source id.

        A key that is a list (tags for a many-to-many field) gives the list of
        their ids, in the key's order; with `missing: null` the keys not found
        are left out. A malformed key fails its own record (REFERENCE_INVALID);
        the batch goes on.
        """
        failures: dict[str, RecordError] = {}
        for ref in self.refs:
            bad: dict[Any, str] = {}
            keys = self._keys(ref, mapped, failures)
            ids = self._ids_for(ref, keys, bad) if keys else {}
            for source_id, values in mapped.items():
                key = values.get(ref.target_field)
                if source_id in failures:
                    continue
                if key is None or (isinstance(key, str) and not key.strip()):
                    if ref.missing == "error":  # an empty `from` is a reference not found, not "no parent"
                        failures[source_id] = self._empty(ref, source_id)
                    continue
                if type(key) is str and key not in bad:  # the common case, without building lists
                    target_id = ids.get(key)
                    if target_id is not None or ref.missing != "error":
                        values[ref.target_field] = target_id
                        continue
                found, failure = self._answer(ref, key, (ids, bad), source_id)
                if failure is not None:
                    failures[source_id] = failure
                elif isinstance(key, list):
                    values[ref.target_field] = found
                else:
                    values[ref.target_field] = found[0] if found else None
        return failures

    def _keys(
        self, ref: LookupRef, mapped: dict[str, dict[str, Any]], failures: dict[str, RecordError]
    ) -> set[Any]:
        """The distinct keys of `ref` in the batch; a record with a malformed key fails (in `failures`)."""
        keys: set[Any] = set()
        check = _KeyCheck(self._pattern(ref))  # each distinct key checked once per batch
        texts = check.texts
        for source_id, values in mapped.items():
            key = values.get(ref.target_field)
            if key is None or source_id in failures:
                continue
            if key.__class__ is str:  # the common case, without building lists and tuples
                problem = texts[key] if key in texts else check(key)
                if problem is not None:
                    failures[source_id] = self._invalid(ref, key, problem, source_id)
                else:
                    keys.add(key)
                continue
            for part in _parts(key):
                problem = check(hashable(part))
                if problem is not None:
                    failures[source_id] = self._invalid(ref, part, problem, source_id)
                    break
                keys.add(hashable(part))
        return keys

    def _answer(
        self, ref: LookupRef, key: Any, answers: tuple[dict[Any, str | None], dict[Any, str]], source_id: str
    ) -> tuple[list[str], RecordError | None]:
        """The ids one record's key stands for, or why that record fails."""
        ids, bad = answers
        found: list[str] = []
        for part in _parts(key):
            if hashable(part) in bad:
                return found, self._invalid(ref, part, bad[hashable(part)], source_id)
            target_id = ids.get(hashable(part))
            if target_id is None and ref.missing == "error":
                return found, RecordError(
                    self._missing_message(ref, part),
                    stage="lookup",
                    code="REFERENCE_NOT_FOUND",
                    field=ref.target_field,
                    record_id=source_id,
                )
            if target_id is not None and target_id not in found:
                found.append(target_id)
        return found, None

    @staticmethod
    def _empty(ref: LookupRef, source_id: str) -> RecordError:
        return RecordError(
            f"{ref.target_field}: the source value is empty, and the mapping says missing: error "
            '(fill it in at the source, or set missing: "null" to write the record without it)',
            stage="lookup",
            code="REFERENCE_EMPTY",
            field=ref.target_field,
            record_id=source_id,
        )

    @staticmethod
    def _invalid(ref: LookupRef, key: Any, problem: str, source_id: str) -> RecordError:
        shown = repr(key) if len(repr(key)) <= 80 else repr(key)[:77] + "..."
        return RecordError(
            f"{ref.target_field}: key {shown} cannot be looked up: {problem}",
            stage="lookup",
            code="REFERENCE_INVALID",
            field=ref.target_field,
            record_id=source_id,
        )

    def _ids_for(self, ref: LookupRef, keys: set[Any], bad: dict[Any, str]) -> dict[Any, str | None]:
        if ref.via == "link":
            assert ref.sync is not None
            self.calls += 1
            texts = {str(k): k for k in keys}  # ids are stored as text; an Odoo many2one key is a number
            if ref.side == "target":  # the key is a target id of that sync: answer its source id
                links = self.store.links_by_target(ref.sync, list(texts))
                return {texts[t]: link.source_id for t, link in links.items() if link.state == "active"}
            return {texts[t]: target for t, target in self.store.target_ids(ref.sync, list(texts)).items()}
        cache = self.caches[id(ref)]
        found, todo = cache.get_many(keys)
        if todo:
            assert ref.object is not None and ref.field is not None
            self.calls += 1
            obj, name = ref.object, ref.field
            fresh, refused = bisected(lambda part: self.target.lookup(obj, name, part), sorted(todo, key=str))
            bad.update(refused)
            for key in todo - refused.keys():
                value = fresh.get(key)
                cache.put(key, value)
                found[key] = value
        return found

    @staticmethod
    def _missing_message(ref: LookupRef, key: Any) -> str:
        if ref.via == "link" and ref.side == "target":
            return (
                f"{ref.target_field}: {key!r} is not a record that sync {ref.sync!r} has written "
                "(it may not have reached it yet, or it was created by hand; replay this record after "
                f"{ref.sync!r} has run)"
            )
        if ref.via == "link":
            return (
                f"{ref.target_field}: source record {key!r} has not been synced by {ref.sync!r} yet "
                "(run that sync first, then replay this record)"
            )
        return f"{ref.target_field}: no {ref.object} with {ref.field} = {key!r}"

"""Resolve reference fields of a mapped batch in a few calls, not one per record.

A mapped record holds, for each reference field, the *key* to resolve: a value
to find in the target system (a country name -> res.country id) or a source id
of another sync (Contact.AccountId -> the partner that sync created). Keys of a
whole batch are resolved together; target lookups are cached for the run in a
bounded cache, link lookups always read the state store (links change as the
run goes on).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from officebridge.connector import Connector
from officebridge.errors import RecordError
from officebridge.mapping.compiler import LookupRef
from officebridge.state import StateStore


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


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


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

    def resolve(self, mapped: dict[str, dict[str, Any]]) -> dict[str, RecordError]:
        """Replace keys by ids in place; return the records that failed, by source id."""
        failures: dict[str, RecordError] = {}
        for ref in self.refs:
            keys = {
                _hashable(v[ref.target_field]) for v in mapped.values() if v.get(ref.target_field) is not None
            }
            ids = self._ids_for(ref, keys) if keys else {}
            for source_id, values in mapped.items():
                key = values.get(ref.target_field)
                if key is None or source_id in failures:
                    continue
                target_id = ids.get(_hashable(key))
                if target_id is None and ref.missing == "error":
                    failures[source_id] = RecordError(
                        self._missing_message(ref, key),
                        stage="lookup",
                        code="REFERENCE_NOT_FOUND",
                        field=ref.target_field,
                        record_id=source_id,
                    )
                values[ref.target_field] = target_id
        return failures

    def _ids_for(self, ref: LookupRef, keys: set[Any]) -> dict[Any, str | None]:
        if ref.via == "link":
            assert ref.sync is not None
            self.calls += 1
            return dict(self.store.target_ids(ref.sync, [str(k) for k in keys]))
        cache = self.caches[id(ref)]
        found, todo = cache.get_many(keys)
        if todo:
            assert ref.object is not None and ref.field is not None
            self.calls += 1
            fresh = self.target.lookup(ref.object, ref.field, sorted(todo, key=str))
            for key in todo:
                value = fresh.get(key)
                cache.put(key, value)
                found[key] = value
        return found

    @staticmethod
    def _missing_message(ref: LookupRef, key: Any) -> str:
        if ref.via == "link":
            return (
                f"{ref.target_field}: source record {key!r} has not been synced by {ref.sync!r} yet "
                "(run that sync first, then replay this record)"
            )
        return f"{ref.target_field}: no {ref.object} with {ref.field} = {key!r}"

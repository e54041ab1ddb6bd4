"""Applying one batch of write operations to Tryton, with partial failure per record.

A failed Tryton call rolls back entirely, so creates go in `create([...])`
chunks and a refused chunk is bisected until each bad record stands alone: the
good ones commit, each bad one carries Tryton's own error. A create chunk
whose answer was lost is UNKNOWN for exactly its operations and never resent.
Updates go in one `write` per chunk even when their values differ: Tryton's
write takes several (ids, values) pairs in one call, and records sharing the
same values share one pair. Archive (`active` = false) and delete go in one
call per chunk too; every refused call is bisected. A deactivated party is
read-only in Tryton, so an update that reactivates writes `active` first, in
its own call. Upserts look their keys up first, then create or update.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.tryton.errors import TrytonRecordError
from officebridge.connector import UNSUPPORTED_OPERATION, ObjectInfo, OpKind, WriteOp, WriteResult
from officebridge.errors import OutcomeUnknownError, RemoteProtocolError

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector

Item = tuple[int, WriteOp, int]  # (position in the batch, op, target id)


def _failure(
    op: WriteOp, exc: TrytonRecordError, info: ObjectInfo, target_id: str | None = None
) -> WriteResult:
    """Tryton names fields by their label in quotes ('field "Type"'), a bare error by name ("'nosuch'")."""
    message = str(exc)

    def named(name: str) -> bool:
        label = info.fields[name].label if name in info.fields else name
        return any(q in message for q in (f'field "{label}"', f"'{name}'"))

    return WriteResult.failure(
        op, exc.code, message, fields=tuple(filter(named, op.values)), target_id=target_id
    )


class WriteBatch:
    def __init__(self, connector: TrytonConnector, model: str, info: ObjectInfo, chunk: int) -> None:
        self.connector = connector
        self.model = model
        self.info = info
        self.chunk = max(1, chunk)
        self.results: dict[int, WriteResult] = {}

    def run(self, ops: list[WriteOp]) -> list[WriteResult]:
        creates: list[tuple[int, WriteOp]] = []
        updates: list[Item] = []
        archives: list[Item] = []
        deletes: list[Item] = []
        for index, op in enumerate(ops):
            target = int(str(op.target_id)) if str(op.target_id).isdigit() else 0
            if op.kind in (OpKind.UPDATE, OpKind.ARCHIVE, OpKind.DELETE) and target <= 0:
                self.results[index] = WriteResult.failure(
                    op,
                    "MissingError",
                    f"{self.model} has no record with id {op.target_id!r} (ids are numbers)",
                )
            elif op.kind is OpKind.ARCHIVE and "active" not in self.info.fields:
                self.results[index] = WriteResult.failure(
                    op, UNSUPPORTED_OPERATION, f"{self.model} has no active field: it cannot be archived"
                )
            elif op.kind is OpKind.CREATE:
                creates.append((index, op))
            elif op.kind is OpKind.UPDATE:
                updates.append((index, op, target))
            elif op.kind is OpKind.ARCHIVE:
                archives.append((index, op, target))
            elif op.kind is OpKind.DELETE:
                deletes.append((index, op, target))
        later = self._upserts(
            [(i, op) for i, op in enumerate(ops) if op.kind is OpKind.UPSERT], creates, updates
        )
        for start in range(0, len(creates), self.chunk):
            self._create(creates[start : start + self.chunk])
        for index, op, first in later:
            if self._settle_duplicate(index, op, first):
                updates.append((index, op, int(self.results[first].target_id or 0)))
        self._update(updates)
        self._chunks(archives, lambda ids: self._call("write", [ids, {"active": False}]))
        self._chunks(self._existing(deletes), lambda ids: self._call("delete", [ids]))
        return [self.results[i] for i in range(len(ops))]

    # -- calls ----------------------------------------------------------------

    def _call(self, method: str, args: list[Any]) -> Any:
        return self.connector.call(self.model, method, args)

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values as Tryton wants them: reference ids as integers, numerics as Decimal,
        ISO dates as dates, aware datetimes as naive UTC (tagged by the codec)."""
        out: dict[str, Any] = {}
        for name, given in values.items():
            value = given
            field = self.info.fields.get(name)
            native = field.type if field is not None else ""
            if native in ("many2one", "one2one") and isinstance(value, str) and value.isdigit():
                value = int(value)
            elif native == "numeric" and isinstance(value, int | float | str) and not isinstance(value, bool):
                value = Decimal(str(value))
            elif native == "date" and isinstance(value, str) and value:
                value = date.fromisoformat(value[:10])
            elif native in ("datetime", "timestamp") and isinstance(value, str) and value:
                value = datetime.fromisoformat(value)
            out[name] = value
        return out

    def _create(self, items: list[tuple[int, WriteOp]]) -> None:
        if not items:
            return
        try:
            ids = self._call("create", [[self._values(op.values) for _, op in items]])
        except OutcomeUnknownError as exc:
            for index, op in items:  # sent, may have landed: only this chunk is unknown, never resent
                self.results[index] = WriteResult.unknown(op, str(exc))
            return
        except TrytonRecordError as exc:
            if len(items) == 1:
                self.results[items[0][0]] = _failure(items[0][1], exc, self.info)
                return
            middle = len(items) // 2
            self._create(items[:middle])
            self._create(items[middle:])
            return
        if not isinstance(ids, list) or len(ids) != len(items):
            raise RemoteProtocolError(f"{self.model}.create of {len(items)} records answered {ids!r:.80}")
        for (index, op), new_id in zip(items, ids, strict=True):
            self.results[index] = WriteResult.success(op, str(new_id), created=True, fields=tuple(op.values))

    def _update(self, updates: list[Item]) -> None:
        """All updates in `write(ids, values, ids, values, ...)` calls, one pair per distinct values.

        A deactivated record is read-only, so records being reactivated get `active` = true in a
        call of their own first; only those that succeeded are then written.
        """
        reactivating = [item for item in updates if item[1].values.get("active") is True]
        self._chunks(reactivating, lambda ids: self._call("write", [ids, {"active": True}]))
        ready = [item for item in updates if item[0] not in self.results or self.results[item[0]].ok]
        for start in range(0, len(ready), self.chunk):
            self._bisect(ready[start : start + self.chunk], self._write_pairs)

    def _write_pairs(self, items: list[Item]) -> None:
        pairs: dict[str, tuple[list[int], dict[str, Any]]] = {}
        for _, op, target in items:
            values = self._values(op.values)
            if values.get("active") is True:  # already reactivated on its own
                values.pop("active")
            if values:
                key = json.dumps(values, sort_keys=True, default=str)
                pairs.setdefault(key, ([], values))[0].append(target)
        args: list[Any] = [part for ids, values in pairs.values() for part in (ids, values)]
        if args:
            self._call("write", args)

    def _chunks(self, items: list[Item], call: Callable[[list[int]], Any]) -> None:
        for start in range(0, len(items), self.chunk):
            self._bisect(items[start : start + self.chunk], lambda part: call([t for _, _, t in part]))

    def _bisect(self, items: list[Item], call: Callable[[list[Item]], Any]) -> None:
        """One call for all; if Tryton refuses it (the whole call rolls back), halve until each
        refused record stands alone with Tryton's error, so the good ones land in few calls."""
        if not items:
            return
        try:
            call(items)
        except TrytonRecordError as exc:
            if len(items) == 1:
                index, op, target = items[0]
                self.results[index] = _failure(op, exc, self.info, str(target))
            else:
                middle = len(items) // 2
                self._bisect(items[:middle], call)
                self._bisect(items[middle:], call)
            return
        for index, op, target in items:
            self.results[index] = WriteResult.success(op, str(target), fields=tuple(op.values))

    def _existing(self, items: list[Item]) -> list[Item]:
        """Tryton deletes ids that no longer exist without a word: those fail here, the rest go on."""
        ids = [target for _, _, target in items]
        found: set[int] = set()
        for start in range(0, len(ids), self.chunk):
            part = ids[start : start + self.chunk]
            found |= set(self.connector.call(self.model, "search", [[["id", "in", part]], 0, None, None],
                                             {"active_test": False}))  # fmt: skip
        for index, op, target in items:
            if target not in found:
                message = f"{self.model} has no record {target} (already deleted?)"
                self.results[index] = WriteResult.failure(op, "MissingError", message, target_id=str(target))
        return [item for item in items if item[2] in found]

    # -- upserts --------------------------------------------------------------

    def _upserts(self, items: list[tuple[int, WriteOp]], creates: list[tuple[int, WriteOp]],
                 updates: list[Item]) -> list[Item]:  # fmt: skip
        """Route upserts to creates/updates; returns repeats of a new key (updated after its create)."""
        by_field: dict[str, list[Any]] = {}
        for _, op in items:
            by_field.setdefault(str(op.key_field), []).append(op.values[str(op.key_field)])
        found = {name: self.connector.lookup(self.model, name, keys) for name, keys in by_field.items()}
        first_new: dict[tuple[str, Any], int] = {}
        later: list[Item] = []
        for index, op in items:
            key_field = str(op.key_field)
            key = op.values[key_field]
            existing = found[key_field].get(key)
            if existing is not None:
                # a key field may be read-only once set (a party's code): an update leaves it alone
                values = {k: v for k, v in op.values.items() if k != key_field}
                updates.append((index, WriteOp(op.kind, op.ref, values, existing, key_field), int(existing)))
            elif (key_field, key) in first_new:
                later.append((index, op, first_new[(key_field, key)]))
            else:
                first_new[(key_field, key)] = index
                creates.append((index, op))
        return later

    def _settle_duplicate(self, index: int, op: WriteOp, first: int) -> bool:
        """A second upsert of a key created in this batch updates that record, or shares its failure."""
        created = self.results[first]
        if created.ok:
            return True
        self.results[index] = WriteResult(op.ref, created.status, error_code=created.error_code,
                                          message=created.message)  # fmt: skip
        return False

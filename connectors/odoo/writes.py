"""Applying one batch of write operations to Odoo, with partial failure per record.

Creates go in `create([...])` chunks; when Odoo rejects a chunk because of a
record (it rolls the whole call back, like any Odoo transaction), the chunk is
bisected until the bad records stand alone, so every good record commits and
every bad one carries Odoo's own exception name and message. Updates with
identical values share one `write` call; archive and delete go in one call
each, falling back to one call per record to isolate a failure. Upserts look
their keys up first, then create or update.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from connectors.odoo.errors import OdooRecordError
from connectors.odoo.manifest import WIRE
from officebridge.connector import FieldKind, ObjectInfo, OpKind, WriteOp, WriteResult
from officebridge.errors import OutcomeUnknownError, RemoteProtocolError

if TYPE_CHECKING:
    from connectors.odoo.connector import OdooConnector


def _failure(op: WriteOp, exc: OdooRecordError, target_id: str | None = None) -> WriteResult:
    message = str(exc)
    # Odoo's errors name fields only in their text ("Wrong value for res.partner.type"): report those
    named = tuple(name for name in op.values if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message))
    return WriteResult.failure(op, exc.code, message, fields=named, target_id=target_id)


class WriteBatch:
    def __init__(self, connector: OdooConnector, model: str, info: ObjectInfo, chunk: int) -> None:
        self.connector = connector
        self.model = model
        self.info = info
        self.chunk = max(1, chunk)
        self.results: dict[int, WriteResult] = {}
        self._many2one = frozenset(n for n, f in info.fields.items() if f.type == "many2one")

    def run(self, ops: list[WriteOp]) -> list[WriteResult]:
        creates: list[tuple[int, WriteOp]] = []
        updates: list[tuple[int, WriteOp, int]] = []
        archives: list[tuple[int, WriteOp]] = []
        deletes: list[tuple[int, WriteOp]] = []
        for index, op in enumerate(ops):
            if op.kind in (OpKind.UPDATE, OpKind.ARCHIVE, OpKind.DELETE) and not _is_id(op.target_id):
                self.results[index] = WriteResult.failure(
                    op,
                    "MissingError",
                    f"{self.model} has no record with id {op.target_id!r} (ids are numbers)",
                )
            elif op.kind == OpKind.CREATE:
                creates.append((index, op))
            elif op.kind == OpKind.UPDATE:
                updates.append((index, op, int(str(op.target_id))))
            elif op.kind == OpKind.ARCHIVE:
                archives.append((index, op))
            elif op.kind == OpKind.DELETE:
                deletes.append((index, op))
        later = self._upserts(
            [(i, op) for i, op in enumerate(ops) if op.kind == OpKind.UPSERT], creates, updates
        )
        for start in range(0, len(creates), self.chunk):
            self._create(creates[start : start + self.chunk])
        updates += [
            (i, op, int(self.results[first].target_id or 0))
            for i, op, first in later
            if self._settle_duplicate(i, op, first)
        ]
        self._update(updates)
        self._grouped(archives, lambda ids: self._call("write", [ids, {"active": False}]))
        self._grouped(deletes, lambda ids: self._call("unlink", [ids]))
        return [self.results[i] for i in range(len(ops))]

    # -- calls ----------------------------------------------------------------

    def _call(self, method: str, args: list[Any]) -> Any:
        return self.connector.call(self.model, method, args)

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values as Odoo's wire wants them: ids given as strings (what lookups return) become
        integers, many2many lists a replace command, datetimes naive-UTC strings.

        Per record this is a loop over plain values: text and numbers pass as they are (text
        of a many2one becomes its id); only other values go through `_value`."""
        out: dict[str, Any] = {}
        many2one = self._many2one
        for name, value in values.items():
            cls = value.__class__
            if cls is str:
                out[name] = int(value) if name in many2one and value.isdigit() else value
            elif cls in _PLAIN:
                out[name] = value
            else:
                out[name] = self._value(name, value)
        return out

    def _value(self, name: str, value: Any) -> Any:
        """One value that is not plain text or a number (datetime, date, id list) as Odoo wants it."""
        field = self.info.fields.get(name)
        if isinstance(value, datetime) and (field is None or field.kind is FieldKind.DATETIME):
            return WIRE.format_datetime(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if (
            field is not None
            and field.type in ("many2many", "one2many")
            and isinstance(value, list)
            and all(isinstance(v, int | str) and str(v).isdigit() for v in value)
        ):
            return [[6, 0, [int(v) for v in value]]]
        return value

    def _create(self, items: list[tuple[int, WriteOp]]) -> None:
        if not items:
            return
        try:
            ids = self._call("create", [[self._values(op.values) for _, op in items]])
        except OutcomeUnknownError as exc:
            # this chunk was sent and may have landed: only its own ops are unknown, never resent here
            for index, op in items:
                self.results[index] = WriteResult.unknown(op, str(exc))
            return
        except OdooRecordError as exc:
            if len(items) == 1:
                index, op = items[0]
                self.results[index] = _failure(op, exc)
                return
            middle = len(items) // 2
            self._create(items[:middle])
            self._create(items[middle:])
            return
        if not isinstance(ids, list) or len(ids) != len(items):
            got = len(ids) if isinstance(ids, list) else type(ids).__name__
            raise RemoteProtocolError(f"{self.model}.create of {len(items)} records answered {got} ids")
        for (index, op), new_id in zip(items, ids, strict=True):
            self.results[index] = WriteResult.success(op, str(new_id), created=True, fields=tuple(op.values))

    def _update(self, updates: list[tuple[int, WriteOp, int]]) -> None:
        groups: dict[str, list[tuple[int, WriteOp, int]]] = {}
        for item in updates:
            groups.setdefault(json.dumps(item[1].values, sort_keys=True, default=str), []).append(item)
        for items in groups.values():
            for start in range(0, len(items), self.chunk):
                part = items[start : start + self.chunk]
                self._each(part, self._writer(self._values(part[0][1].values)))

    def _writer(self, values: dict[str, Any]) -> Callable[[list[int]], Any]:
        def call(ids: list[int]) -> Any:
            return self._call("write", [ids, values])

        return call

    def _grouped(self, items: list[tuple[int, WriteOp]], call: Callable[[list[int]], Any]) -> None:
        for start in range(0, len(items), self.chunk):
            part = items[start : start + self.chunk]
            self._each([(i, op, int(str(op.target_id))) for i, op in part], call)

    def _each(self, items: list[tuple[int, WriteOp, int]], call: Callable[[list[int]], Any]) -> None:
        """One call for all; if Odoo refuses it, one call per record to find the culprits."""
        try:
            call([target for _, _, target in items])
        except OdooRecordError as exc:
            if len(items) == 1:
                index, op, target = items[0]
                self.results[index] = _failure(op, exc, str(target))
            else:
                for item in items:
                    self._each([item], call)
            return
        for index, op, target in items:
            self.results[index] = WriteResult.success(op, str(target), fields=tuple(op.values))

    # -- upserts --------------------------------------------------------------

    def _upserts(
        self,
        items: list[tuple[int, WriteOp]],
        creates: list[tuple[int, WriteOp]],
        updates: list[tuple[int, WriteOp, int]],
    ) -> list[tuple[int, WriteOp, int]]:
        """Route upserts to creates/updates; returns duplicates of a new key (update after the create)."""
        by_field: dict[str, list[Any]] = {}
        for _, op in items:
            key_field = str(op.key_field)
            by_field.setdefault(key_field, []).append(op.values[key_field])
        found = {name: self.connector.lookup(self.model, name, keys) for name, keys in by_field.items()}
        first_new: dict[tuple[str, Any], int] = {}
        later: list[tuple[int, WriteOp, int]] = []
        for index, op in items:
            key = op.values[str(op.key_field)]
            existing = found[str(op.key_field)].get(key)
            if existing is not None:
                updates.append((index, op, int(existing)))
            elif (op.key_field, key) in first_new:
                later.append((index, op, first_new[(str(op.key_field), key)]))
            else:
                first_new[(str(op.key_field), key)] = index
                creates.append((index, op))
        return later

    def _settle_duplicate(self, index: int, op: WriteOp, first: int) -> bool:
        """A second upsert of a key created in this batch updates that record, or shares its failure."""
        created = self.results[first]
        if created.ok:
            return True
        self.results[index] = WriteResult(
            op.ref, created.status, error_code=created.error_code, message=created.message
        )
        return False


_PLAIN = (int, float, bool, type(None))  # sent as they are


def _is_id(value: str | None) -> bool:
    return value is not None and str(value).isdigit()

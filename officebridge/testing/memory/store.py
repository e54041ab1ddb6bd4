"""The records of one memory system: validation, keyset paging, tombstones.

Everything a remote system would enforce is enforced here, so the memory
connector cannot cheat: required and read-only fields, types and lengths,
references that must exist, one change stamp per write transaction (records
written together share it, which makes cursor ties ordinary), deleted
records kept as tombstones, and reads that page by (cursor, id) keys.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo
from officebridge.testing.memory.catalog import CATALOG, CURSOR_FIELDS
from officebridge.testing.memory.wire import WIRE, BadRequest, NoSuchField, NoSuchObject

Row = dict[str, Any]
META = ("id", "created_at", "updated_at")


class RecordRefused(Exception):
    def __init__(self, code: str, message: str, fields: tuple[str, ...] = ()) -> None:
        self.code, self.message, self.fields = code, message, fields
        super().__init__(message)


def _compare(op: str, have: Any, want: Any) -> bool:  # noqa: PLR0911 - one branch per operator
    if op == "=":
        return bool(have == want)
    if op == "!=":
        return bool(have != want)
    if op == "in":
        return bool(have in want)
    if op == "not in":
        return bool(have not in want)
    if op == "like":
        return isinstance(have, str) and fnmatch.fnmatchcase(have, str(want).replace("%", "*"))
    if have is None:
        return False
    return bool({"<": have < want, "<=": have <= want, ">": have > want, ">=": have >= want}[op])


FILTER_OPS = ("=", "!=", "in", "not in", "like", "<", "<=", ">", ">=")


class Store:
    """Rows per object, plus the clock that stamps them."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Row]] = {name: {} for name in CATALOG}
        self.deleted: dict[str, set[str]] = {name: set() for name in CATALOG}
        self._serial = 0
        self._last = datetime(2000, 1, 1, tzinfo=UTC)

    # --- basics ----------------------------------------------------------------

    def info(self, object_name: str) -> ObjectInfo:
        found = CATALOG.get(object_name)
        if found is None:
            raise NoSuchObject(object_name)
        return found

    def field(self, object_name: str, field_name: str) -> FieldInfo:
        found = self.info(object_name).fields.get(field_name)
        if found is None:
            raise NoSuchField(object_name, field_name)
        return found

    def now(self) -> datetime:
        """Milliseconds, never going back: several writes in one millisecond share a stamp."""
        moment = datetime.now(UTC)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        self._last = max(self._last, moment)
        return self._last

    def _new_id(self, object_name: str) -> str:
        self._serial += 1
        return f"{object_name[:3]}-{self._serial:08d}"

    def live(self, object_name: str, record_id: str) -> Row | None:
        if record_id in self.deleted[object_name]:
            return None
        return self.rows[object_name].get(record_id)

    # --- writing ---------------------------------------------------------------

    def check_values(self, object_name: str, values: Row, *, creating: bool) -> None:
        info = self.info(object_name)
        for name, value in values.items():
            f = info.fields.get(name)
            if f is None:
                raise RecordRefused("INVALID_FIELD", f"{object_name} has no field {name!r}", (name,))
            if f.readonly:
                raise RecordRefused("READONLY_FIELD", f"{object_name}.{name} cannot be written", (name,))
            self._check_value(object_name, f, value)
        if creating:
            missing = tuple(n for n, f in info.fields.items() if f.required and values.get(n) in (None, ""))
            if missing:
                message = f"required fields missing: {', '.join(missing)}"
                raise RecordRefused("REQUIRED_FIELD_MISSING", message, missing)

    def _check_value(self, object_name: str, f: FieldInfo, value: Any) -> None:
        if value is None:
            return
        where = f"{object_name}.{f.name}"
        expected: dict[FieldKind, type | tuple[type, ...]] = {
            FieldKind.STRING: str,
            FieldKind.BOOLEAN: bool,
            FieldKind.INTEGER: int,
            FieldKind.PICKLIST: str,
            FieldKind.REFERENCE: str,
        }
        kind = expected.get(f.kind)
        if kind is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            message = f"{where}: {type(value).__name__} is not a {f.kind}"
            raise RecordRefused("INVALID_TYPE", message, (f.name,))
        if f.length is not None and isinstance(value, str) and len(value) > f.length:
            raise RecordRefused("STRING_TOO_LONG", f"{where}: longer than {f.length}", (f.name,))
        if f.choices and value not in f.choices:
            raise RecordRefused("INVALID_CHOICE", f"{where}: {value!r} is not one of {f.choices}", (f.name,))
        if f.kind is FieldKind.REFERENCE and self.live(f.reference_to[0], value) is None:
            raise RecordRefused("INVALID_REFERENCE", f"{where}: no {f.reference_to[0]} {value!r}", (f.name,))

    def create(self, object_name: str, values: Row, stamp: datetime) -> str:
        self.check_values(object_name, values, creating=True)
        record_id = self._new_id(object_name)
        row = {n: None for n in self.info(object_name).fields} | {"active": True}
        row |= copy.deepcopy(values) | {"id": record_id, "created_at": stamp, "updated_at": stamp}
        self.rows[object_name][record_id] = row
        return record_id

    def update(self, object_name: str, record_id: str, values: Row, stamp: datetime) -> None:
        row = self.live(object_name, record_id)
        if row is None:
            raise RecordRefused("NOT_FOUND", f"no {object_name} {record_id!r} (deleted or never created)")
        self.check_values(object_name, values, creating=False)
        row.update(copy.deepcopy(values))
        row["updated_at"] = stamp

    def delete(self, object_name: str, record_id: str, stamp: datetime) -> None:
        row = self.live(object_name, record_id)
        if row is None:
            raise RecordRefused("NOT_FOUND", f"no {object_name} {record_id!r} (deleted or never created)")
        self.deleted[object_name].add(record_id)
        row["updated_at"] = stamp

    def find(self, object_name: str, field_name: str, values: Iterable[Any]) -> dict[Any, str]:
        """The first live record (lowest id) holding each value; archived records count."""
        self.field(object_name, field_name)
        wanted = set(values)
        found: dict[Any, str] = {}
        for record_id in sorted(self.rows[object_name]):
            row = self.live(object_name, record_id)
            if row is not None and row[field_name] in wanted and row[field_name] not in found:
                found[row[field_name]] = record_id
        return found

    def has_values(self, object_name: str, field_name: str) -> bool:
        """Whether any record (archived ones included) holds a value in this field."""
        self.field(object_name, field_name)
        rows = (self.live(object_name, record_id) for record_id in self.rows[object_name])
        return any(row is not None and row[field_name] not in (None, "") for row in rows)

    # --- reading ---------------------------------------------------------------

    def matcher(self, object_name: str, terms: Any) -> Callable[[Row], bool]:
        if terms is None:
            return lambda _row: True
        if not isinstance(terms, list):
            raise BadRequest("a filter is a list of [field, operator, value] terms")
        checked = []
        for term in terms:
            if not (isinstance(term, list | tuple) and len(term) == 3 and term[1] in FILTER_OPS):
                raise BadRequest(f"bad filter term {term!r}; operators: {', '.join(FILTER_OPS)}")
            self.field(object_name, term[0])
            checked.append(tuple(term))
        return lambda row: all(_compare(op, row[f], v) for f, op, v in checked)

    def page(self, object_name: str, query: dict[str, Any]) -> list[tuple[str, datetime, bool, Row]]:
        """One page after `query["after"]` (a (cursor, id) key), ordered by (cursor, id)."""
        cursor = query["cursor"]
        if cursor not in CURSOR_FIELDS:
            raise BadRequest(f"{cursor!r} is not a cursor field; cursor fields: {', '.join(CURSOR_FIELDS)}")
        for name in query["fields"]:
            self.field(object_name, name)
        keep = self.matcher(object_name, query["filter"])
        since, until, after = query["since"], query["until"], query["after"]
        hits = []
        for record_id, row in self.rows[object_name].items():
            deleted = record_id in self.deleted[object_name] or row["active"] is False
            key = (row[cursor], record_id)
            if deleted and not query["include_deleted"]:
                continue
            if (since and key[0] < since) or (until and key[0] >= until) or (after and key <= after):
                continue
            if keep(row):
                hits.append((key, deleted, row))
        hits.sort(key=lambda hit: hit[0])
        fields = query["fields"]
        return [(k[1], k[0], d, self.out(object_name, r, fields)) for k, d, r in hits[: query["limit"]]]

    def out(self, object_name: str, row: Row, fields: Iterable[str]) -> Row:
        """Values as the wire carries them: JSON-able copies, datetimes as ISO strings."""
        shown: Row = {}
        for name in fields:
            value = row[name]
            shown[name] = WIRE.format_datetime(value) if isinstance(value, datetime) else copy.deepcopy(value)
        return shown

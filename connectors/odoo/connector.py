"""The Odoo connector: the officebridge `Connector` contract over Odoo's JSON-RPC API.

Reads page by keyset on (write_date, id), never by offset, so records changing
while we page are neither skipped nor repeated, and records sharing one
write_date (Odoo stamps a whole transaction with one time) are never lost at a
page boundary. Writes go in batches; when Odoo rejects a batch because of one
record, the batch is bisected so the good records commit and each bad one gets
its own failure. All client calls go through `OdooAdapter`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.odoo.adapter import OdooAdapter, settings_from
from connectors.odoo.errors import OdooRecordError
from connectors.odoo.manifest import MANIFEST, WIRE
from connectors.odoo.writes import WriteBatch
from officebridge.connections import Connection
from officebridge.connector import (
    ConnectorManifest,
    FieldInfo,
    FieldKind,
    ObjectInfo,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
)
from officebridge.errors import ConfigError
from officebridge.retry import DEFAULT_POLICY, RetryPolicy

DESCRIBE_ATTRIBUTES = ["type", "string", "required", "readonly", "relation", "selection", "size"]
KINDS = {
    "char": FieldKind.STRING,
    "text": FieldKind.TEXT,
    "html": FieldKind.TEXT,
    "integer": FieldKind.INTEGER,
    "float": FieldKind.DECIMAL,
    "monetary": FieldKind.DECIMAL,
    "boolean": FieldKind.BOOLEAN,
    "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
    "selection": FieldKind.PICKLIST,
    "many2one": FieldKind.REFERENCE,
    "many2many": FieldKind.MULTI_REFERENCE,
    "one2many": FieldKind.MULTI_REFERENCE,
}


def to_odoo_datetime(moment: datetime) -> str:
    """An aware datetime as Odoo's naive-UTC string (naive input is taken as UTC)."""
    return str(WIRE.format_datetime(moment))


def from_odoo_datetime(text: Any) -> datetime | None:
    moment = WIRE.parse_datetime(text)
    return None if moment is None else moment.replace(tzinfo=UTC)


class OdooConnector:
    manifest: ClassVar[ConnectorManifest] = MANIFEST
    lookup_chunk: ClassVar[int] = 1000

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.connection = connection
        self.adapter = OdooAdapter(settings_from(connection), retry_policy)
        self._described: dict[str, ObjectInfo] = {}

    # -- contract -------------------------------------------------------------

    def check(self) -> None:
        """Log in and read our own user record."""
        self.adapter.client()
        self.adapter.execute_kw("res.users", "read", [[self.adapter.uid]], {"fields": ["login"]})

    def describe(self, object_name: str) -> ObjectInfo:
        if object_name in self._described:
            return self._described[object_name]
        try:
            models = self.adapter.execute_kw(
                "ir.model", "search_read", [[["model", "=", object_name]]], {"fields": ["name"], "limit": 1}
            )
            raw = (
                self.adapter.execute_kw(object_name, "fields_get", [], {"attributes": DESCRIBE_ATTRIBUTES})
                if models
                else None
            )
        except OdooRecordError as exc:
            raise ConfigError(f"Odoo model {object_name!r}: {exc}") from None
        if not models or raw is None:
            raise ConfigError(f"Odoo model {object_name!r} does not exist on {self.adapter.where}")
        fields = {name: _field_info(name, desc) for name, desc in raw.items()}
        info = ObjectInfo(name=object_name, label=str(models[0]["name"]), fields=fields)
        self._described[object_name] = info
        return info

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Pages ordered by (cursor, id), cursor >= since (and < until); keyset paging."""
        name = request.object
        info = self.describe(name)
        cursor = request.cursor or MANIFEST.capabilities.default_cursor
        has_active = "active" in info.fields
        wanted = list(dict.fromkeys(request.fields))
        heads = self._heads(info, wanted)
        unknown = [f for f in [*heads, cursor] if f not in info.fields]
        if unknown:
            raise ConfigError(f"Odoo model {name!r} has no field(s) {', '.join(unknown)}")
        if request.since is not None and not isinstance(request.since, datetime):
            raise ConfigError(f"read {name}: Odoo reads by a change stamp, not a token")
        if request.filter is not None and not isinstance(request.filter, list):
            raise ConfigError(f"read {name}: the filter must be an Odoo domain (a list)")
        to_read = list(dict.fromkeys([*heads, cursor, *(["active"] if has_active else [])]))
        base = list(request.filter or [])
        since, until = request.whole_seconds()  # Odoo's datetimes are whole seconds on the wire
        if until is not None:
            base.append([cursor, "<", to_odoo_datetime(until)])
        context = {"active_test": False} if request.include_deleted else {}
        start = to_odoo_datetime(since) if since is not None else None
        track_active = has_active and request.include_deleted
        last: tuple[str, int] | None = None
        while True:
            domain = list(base)
            if last is not None:
                domain += [[cursor, ">=", last[0]], "|", [cursor, ">", last[0]], ["id", ">", last[1]]]
            elif start is not None:
                domain.append([cursor, ">=", start])
            try:
                rows = self.adapter.execute_kw(
                    name,
                    "search_read",
                    [domain],
                    {
                        "fields": to_read,
                        "limit": request.batch_size,
                        "order": f"{cursor} asc, id asc",
                        "load": "_classic_write",
                        "context": context,
                    },
                )
            except OdooRecordError as exc:
                raise ConfigError(f"Odoo read of {name!r} rejected: {exc}") from None
            if not rows:
                return
            paths = self._follow(info, rows, wanted)
            records = [self._record(row, wanted, track_active, cursor, paths) for row in rows]
            yield Page([r for r in records if request.holds(r.cursor)])
            last = (str(rows[-1][cursor]), int(rows[-1]["id"]))
            if len(rows) < request.batch_size:
                return

    def count(self, request: ReadRequest) -> int | None:
        """How many records `read(request)` will yield: search_count on the same domain (for progress).

        Not yet in the connector contract (the engine finds it with getattr); None when it cannot say.
        """
        if request.filter is not None and not isinstance(request.filter, list):
            return None
        if request.since is not None and not isinstance(request.since, datetime):
            return None
        cursor = request.cursor or MANIFEST.capabilities.default_cursor
        domain = list(request.filter or [])
        if request.until is not None:
            domain.append([cursor, "<", to_odoo_datetime(request.until)])
        if request.since is not None:
            domain.append([cursor, ">=", to_odoo_datetime(request.since)])
        context = {"active_test": False} if request.include_deleted else {}
        total = self.adapter.execute_kw(request.object, "search_count", [domain], {"context": context})
        return total if isinstance(total, int) else None

    @staticmethod
    def _record(
        row: dict[str, Any],
        wanted: list[str],
        track_active: bool,
        cursor: str,
        paths: dict[int, dict[str, Any]] | None = None,
    ) -> SourceRecord:
        followed = (paths or {}).get(int(row["id"]), {})
        values = {f: followed.get(f) if "." in f else _plain(row.get(f)) for f in wanted}
        return SourceRecord(
            id=str(row["id"]),
            cursor=from_odoo_datetime(row.get(cursor)),
            deleted=bool(track_active and not row.get("active", True)),
            fields=values,
        )

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Re-read records by id, archived ones included (deleted ones are simply absent, as in Odoo)."""
        info = self.describe(object_name)
        has_active = "active" in info.fields
        wanted = list(dict.fromkeys(fields))
        cursor = MANIFEST.capabilities.default_cursor
        heads = self._heads(info, wanted)
        to_read = list(dict.fromkeys([*heads, cursor, *(["active"] if has_active else [])]))
        numeric = [int(i) for i in dict.fromkeys(ids) if str(i).isdigit()]
        out: list[SourceRecord] = []
        for start in range(0, len(numeric), self.lookup_chunk):
            rows = self.adapter.execute_kw(
                object_name,
                "read",
                [numeric[start : start + self.lookup_chunk], to_read],
                {"load": "_classic_write", "context": {"active_test": False}},
            )
            paths = self._follow(info, rows, wanted)
            out += [self._record(row, wanted, has_active, cursor, paths) for row in rows]
        return out

    # -- dotted paths (`industry_id.name`, `category_id.name`, `parent_id.country_id.code`) ----

    def _heads(self, info: ObjectInfo, wanted: Sequence[str]) -> list[str]:
        """The fields read from the model itself: plain fields and the first step of each path."""
        heads = list(dict.fromkeys(f.partition(".")[0] for f in wanted))
        for path in wanted:
            head = path.partition(".")[0]
            field = info.fields.get(head)
            if "." in path and field is not None and not field.reference_to:
                kind = f"a {field.type}, not a relation"
                raise ConfigError(f"Odoo {info.name}: {path!r} steps through {head!r}, which is {kind}")
        return heads

    def _follow(
        self, info: ObjectInfo, rows: list[dict[str, Any]], wanted: Sequence[str]
    ) -> dict[int, dict[str, Any]]:
        """Values of the dotted paths per row id: one batched `read` per relation (and level), not per row.

        A many2one step gives the related record's value (None when empty); a
        many2many or one2many step gives the list of the related records' values.
        """
        by_head: dict[str, list[str]] = {}
        for path in wanted:
            head, dot, rest = path.partition(".")
            if dot:
                by_head.setdefault(head, []).append(rest)
        out: dict[int, dict[str, Any]] = {int(r["id"]): {} for r in rows}
        for head, rests in by_head.items():
            comodel = info.fields[head].reference_to[0]
            targets = {int(r["id"]): _ids(r.get(head)) for r in rows}
            related = self._related(comodel, sorted({i for ids in targets.values() for i in ids}), rests)
            many = info.fields[head].kind is FieldKind.MULTI_REFERENCE
            for rid, ids in targets.items():
                for rest in rests:
                    found = [related[i][rest] for i in ids if i in related]
                    if many:
                        out[rid][f"{head}.{rest}"] = [v for v in found if v is not None]
                    else:
                        out[rid][f"{head}.{rest}"] = found[0] if found else None
        return out

    def _related(self, model: str, ids: list[int], paths: list[str]) -> dict[int, dict[str, Any]]:
        """Values of `paths` (fields or further dotted paths) of `model` records, by id."""
        if not ids:
            return {}
        info = self.describe(model)
        heads = self._heads(info, paths)
        unknown = [f for f in heads if f not in info.fields]
        if unknown:
            raise ConfigError(f"Odoo model {model!r} has no field(s) {', '.join(unknown)}")
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), self.lookup_chunk):
            rows += self.adapter.execute_kw(
                model,
                "read",
                [ids[start : start + self.lookup_chunk], heads],
                {"load": "_classic_write", "context": {"active_test": False}},
            )
        deeper = self._follow(info, rows, paths)
        return {
            int(r["id"]): {p: deeper[int(r["id"])].get(p) if "." in p else _plain(r.get(p)) for p in paths}
            for r in rows
        }

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """value -> id of the oldest record holding it (archived records included)."""
        wanted = [v for v in dict.fromkeys(values) if v is not None and v is not False and v != ""]
        found: dict[Any, str] = {}
        for start in range(0, len(wanted), self.lookup_chunk):
            chunk = wanted[start : start + self.lookup_chunk]
            rows = self.adapter.execute_kw(
                object_name,
                "search_read",
                [[[field_name, "in", chunk]]],
                {
                    "fields": [field_name],
                    "order": "id asc",
                    "load": "_classic_write",
                    "context": {"active_test": False},
                },
            )
            for row in rows:
                value = _plain(row.get(field_name))
                if value not in (None, False) and value not in found:
                    found[value] = str(row["id"])
        return found

    def has_values(self, object_name: str, field_name: str) -> bool:
        """Whether any record (archived ones included) holds a value in this field: one search of one id.

        Optional in the connector contract (the engine finds it with getattr): on an initial
        load it stands for the match lookups of keys that cannot exist yet.
        """
        rows = self.adapter.execute_kw(
            object_name,
            "search",
            [[[field_name, "!=", False]]],
            {"limit": 1, "context": {"active_test": False}},
        )
        return bool(rows)

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        info = self.describe(object_name)
        return WriteBatch(self, object_name, info, MANIFEST.capabilities.max_write_batch).run(list(ops))

    def call(
        self, object_name: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None
    ) -> Any:
        """One raw `execute_kw` through the adapter (retries and classification included)."""
        return self.adapter.execute_kw(object_name, method, args, kwargs)

    def close(self) -> None:
        self.adapter.close()


def _ids(value: Any) -> list[int]:
    """The related ids in a `_classic_write` value: a many2one id, or an x2many id list."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [int(v) for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def _plain(value: Any) -> Any:
    """JSON-able value: many2one pairs become the bare id, Odoo's false for empty becomes None."""
    if value is False:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        return value[0]
    return value


# Fields a record can be found by, so usable as upsert keys: `ref` (the partner's
# Internal Reference, where our Account Ids go) and `code` / `default_code` (countries, products).
EXTERNAL_ID_FIELDS = frozenset({"ref", "code", "default_code", "barcode"})


def _field_info(name: str, desc: dict[str, Any]) -> FieldInfo:
    selection = desc.get("selection")
    choices = tuple(str(item[0]) for item in selection) if isinstance(selection, list) else ()
    relation = desc.get("relation")
    native = str(desc.get("type", ""))
    return FieldInfo(
        name=name,
        type=native,
        kind=FieldKind.ID if name == "id" else KINDS.get(native, FieldKind.OTHER),
        label=str(desc.get("string") or name),
        required=bool(desc.get("required")),
        readonly=bool(desc.get("readonly")),
        length=int(desc["size"]) if desc.get("size") else None,
        choices=choices,
        reference_to=(str(relation),) if relation else (),
        external_id=name in EXTERNAL_ID_FIELDS and native == "char" and not desc.get("readonly"),
    )


def canonical(values: dict[str, Any]) -> str:
    """A stable key for grouping identical update values into one call."""
    return json.dumps(values, sort_keys=True, default=str)

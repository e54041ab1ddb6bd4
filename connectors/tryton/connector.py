"""The Tryton connector: the officebridge `Connector` contract over Tryton's JSON-RPC.

Reads are keyset-paged in (stamp, id) order (`reading`), writes are batched
with per-record failure isolated by bisection (`writes`), and every call goes
through `TrytonRPC` (retries, session, error classes). Fields come from
`ir.model` and `fields_get`; values handed to the engine are plain JSON
(`codec.plain`), values sent to Tryton are tagged (`codec.encode`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.tryton.codec import flatten, plain
from connectors.tryton.errors import TrytonRecordError
from connectors.tryton.manifest import MANIFEST, WIRE
from connectors.tryton.reading import Domain, Window, ordered_rows
from connectors.tryton.rpc import TrytonRPC, settings_from
from connectors.tryton.writes import WriteBatch
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

KINDS = {
    "char": FieldKind.STRING,
    "text": FieldKind.TEXT,
    "integer": FieldKind.INTEGER,
    "biginteger": FieldKind.INTEGER,
    "float": FieldKind.DECIMAL,
    "numeric": FieldKind.DECIMAL,
    "boolean": FieldKind.BOOLEAN,
    "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
    "timestamp": FieldKind.DATETIME,
    "selection": FieldKind.PICKLIST,
    "multiselection": FieldKind.MULTI_PICKLIST,
    "many2one": FieldKind.REFERENCE,
    "one2one": FieldKind.REFERENCE,
    "many2many": FieldKind.MULTI_REFERENCE,
    "one2many": FieldKind.MULTI_REFERENCE,
}
ALL_RECORDS = {"active_test": False}
# Fields a mapping may upsert by: a party's `code` is unique (SQL constraint code_uniq); `reference`
# (sale, opportunity, invoice) is the other side's reference, free text, not unique in Tryton, so an
# upsert by it finds the oldest record holding the value (see `lookup`).
KEY_FIELDS = frozenset({"code", "reference"})


class TrytonConnector:
    manifest: ClassVar[ConnectorManifest] = MANIFEST
    lookup_chunk: ClassVar[int] = 1000

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.connection = connection
        self.rpc = TrytonRPC(settings_from(connection), retry_policy)
        self._described: dict[str, ObjectInfo] = {}

    # -- contract -------------------------------------------------------------

    def check(self) -> None:
        """Log in and read our own user record."""
        self.rpc.ensure_login()
        self.rpc.call("res.user", "read", [[self.rpc.uid], ["login"]])

    def describe(self, object_name: str) -> ObjectInfo:
        if object_name in self._described:
            return self._described[object_name]
        try:
            models = self.rpc.call(
                "ir.model", "search_read", [[["name", "=", object_name]], 0, 1, None, ["string"]]
            )
            raw = self.rpc.call(object_name, "fields_get", [None]) if models else None
        except TrytonRecordError as exc:
            raise ConfigError(f"Tryton model {object_name!r}: {exc}") from None
        if not models or not isinstance(raw, dict):
            raise ConfigError(f"Tryton model {object_name!r} does not exist on {self.rpc.where}")
        fields = {name: _field_info(name, desc) for name, desc in raw.items()}
        info = ObjectInfo(name=object_name, label=str(models[0].get("string") or object_name), fields=fields)
        self._described[object_name] = info
        return info

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Pages ordered by (stamp, id), since <= stamp < until; keyset paging, ties safe."""
        name = request.object
        info = self.describe(name)
        cursor = request.cursor or MANIFEST.capabilities.default_cursor
        if cursor not in MANIFEST.capabilities.cursor_fields:
            raise ConfigError(f"read {name}: Tryton's cursor is write_date or create_date, not {cursor!r}")
        wanted = list(dict.fromkeys(request.fields))
        unknown = [f for f in wanted if f.split(".", 1)[0] not in info.fields]
        if unknown:
            raise ConfigError(f"Tryton model {name!r} has no field(s) {', '.join(unknown)}")
        if request.since is not None and not isinstance(request.since, datetime):
            raise ConfigError(f"read {name}: Tryton reads by a change stamp, not a token")
        if request.filter is not None and not isinstance(request.filter, list):
            raise ConfigError(f"read {name}: the filter must be a Tryton domain (a list)")
        has_active = "active" in info.fields
        track_active = has_active and request.include_deleted
        to_read = list(
            dict.fromkeys([*wanted, "create_date", "write_date", *(["active"] if has_active else [])])
        )
        context = ALL_RECORDS if request.include_deleted else {}

        def fetch(domain: Domain, order: list[list[str]], limit: int) -> list[dict[str, Any]]:
            try:
                rows = self.rpc.call(name, "search_read", [domain, 0, limit, order, to_read], context)
            except TrytonRecordError as exc:
                raise ConfigError(f"Tryton read of {name!r} rejected: {exc}") from None
            return [flatten(row) for row in rows]

        since = _naive_utc(request.since) if isinstance(request.since, datetime) else None
        until = _naive_utc(request.until) if request.until is not None else None
        size = max(1, request.batch_size)
        page: list[SourceRecord] = []
        for stamp, row in ordered_rows(fetch, list(request.filter or []), cursor, Window(since, until, size)):
            page.append(self._record(info, row, wanted, track_active, stamp))
            if len(page) >= size:
                yield Page(page)
                page = []
        if page:
            yield Page(page)

    @staticmethod
    def _record(
        info: ObjectInfo, row: dict[str, Any], wanted: list[str], track_active: bool, stamp: datetime | None
    ) -> SourceRecord:
        def native(field: str) -> str:
            found = info.fields.get(field)
            return found.type if found is not None else ""

        return SourceRecord(
            id=str(row["id"]),
            cursor=stamp.replace(tzinfo=UTC) if stamp is not None else None,
            deleted=bool(track_active and not row.get("active", True)),
            fields={f: plain(row.get(f), native(f)) for f in wanted},
        )

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Re-read records by id, deactivated ones included; deleted ones are absent (no tombstones)."""
        info = self.describe(object_name)
        wanted = list(dict.fromkeys(fields))
        has_active = "active" in info.fields
        to_read = list(
            dict.fromkeys([*wanted, "create_date", "write_date", *(["active"] if has_active else [])])
        )
        numeric = [int(i) for i in dict.fromkeys(ids) if str(i).isdigit()]
        out: list[SourceRecord] = []
        for start in range(0, len(numeric), self.lookup_chunk):
            chunk = numeric[start : start + self.lookup_chunk]
            rows = self.rpc.call(object_name, "search_read", [[["id", "in", chunk]], 0, None, [["id", "ASC"]],
                                                              to_read], ALL_RECORDS)  # fmt: skip
            for row in map(flatten, rows):
                stamp = row.get("write_date") or row.get("create_date")
                out.append(self._record(info, row, wanted, has_active, stamp))
        return out

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """value -> id of the oldest record holding it (deactivated records included)."""
        wanted = [v for v in dict.fromkeys(values) if v is not None and v is not False and v != ""]
        found: dict[Any, str] = {}
        for start in range(0, len(wanted), self.lookup_chunk):
            chunk = wanted[start : start + self.lookup_chunk]
            domain = [[field_name, "in", chunk]]
            rows = self.rpc.call(object_name, "search_read", [domain, 0, None, [["id", "ASC"]], [field_name]],
                                 ALL_RECORDS)  # fmt: skip
            for row in map(flatten, rows):
                value = plain(row.get(field_name))
                if value is not None and value not in found:
                    found[value] = str(row["id"])
        return found

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        info = self.describe(object_name)
        return WriteBatch(self, object_name, info, MANIFEST.capabilities.max_write_batch).run(list(ops))

    def call(
        self, object_name: str, method: str, args: list[Any], context: dict[str, Any] | None = None
    ) -> Any:
        """One raw model call (retries and classification included), e.g. an invoice's `post` button."""
        return self.rpc.call(object_name, method, args, context)

    def close(self) -> None:
        self.rpc.close()


def _naive_utc(moment: datetime) -> datetime:
    return WIRE.format_datetime(moment)  # type: ignore[no-any-return]


def _field_info(name: str, desc: dict[str, Any]) -> FieldInfo:
    selection = desc.get("selection")
    choices = tuple(str(item[0]) for item in selection if item and item[0] is not None) if isinstance(
        selection, list) else ()  # fmt: skip
    relation = desc.get("relation")
    native = str(desc.get("type", ""))
    return FieldInfo(
        name=name,
        type=native,
        kind=FieldKind.ID if name == "id" else KINDS.get(native, FieldKind.OTHER),
        label=str(desc.get("string") or name),
        required=bool(desc.get("required")),
        readonly=bool(desc.get("readonly")),
        length=int(desc["size"]) if isinstance(desc.get("size"), int) else None,
        choices=choices,
        reference_to=(str(relation),) if relation else (),
        pattern="^[1-9][0-9]*$" if name == "id" else None,
        external_id=name in KEY_FIELDS and native == "char" and not desc.get("readonly"),
    )

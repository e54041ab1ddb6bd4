"""The `/services/data/vNN.N/` REST resources: query, sObject CRUD, describe, replication.

Each handler takes the parsed request and returns (status, JSON body); errors are
raised as SfError and turned into Salesforce's error array by the server. Status
codes and body shapes follow the REST API reference table in
shared/reference/salesforce-rest.md, because the client maps them to exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from connectors.salesforce.sandbox.composite import CompositeApi
from connectors.salesforce.sandbox.errors import SfError, entity_deleted, not_found
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.query import QueryEngine, batch_size_from_header
from connectors.salesforce.sandbox.records import MultipleMatches, Writer
from connectors.salesforce.sandbox.schema import Catalog, ObjectSpec, with_version
from connectors.salesforce.sandbox.store import DELETED_AT, Store, format_datetime
from connectors.salesforce.sandbox.values import BadValue, parse_datetime_text, record_url, row_to_json

SUPPORTED_VERSIONS = [f"{v}.0" for v in range(31, 63)]
RELEASES = {59: "Winter '24", 60: "Spring '24", 61: "Summer '24", 62: "Winter '25"}
UPDATED_WINDOW = timedelta(days=30)
DELETED_WINDOW = timedelta(days=15)


@dataclass
class Request:
    method: str
    parts: list[str]  # path segments after /services/data/vNN.N/
    params: dict[str, str]
    body: Any
    headers: dict[str, str]
    version: str
    path: str


Response = tuple[int, Any]


def versions_list() -> list[dict[str, str]]:
    return [
        {"label": RELEASES.get(int(float(v)), f"API {v}"), "url": f"/services/data/v{v}", "version": v}
        for v in SUPPORTED_VERSIONS
    ]


@lru_cache(maxsize=64)
def _describe(catalog: Catalog, name: str, version: str) -> Any:
    return with_version(catalog.objects[name].describe, version)


@lru_cache(maxsize=8)
def _global(catalog: Catalog, version: str) -> Any:
    return with_version(catalog.global_describe, version)


class RestApi:
    def __init__(self, store: Store, writer: Writer, queries: QueryEngine) -> None:
        self.store = store
        self.catalog = store.catalog
        self.writer = writer
        self.queries = queries
        self.composite = CompositeApi(store, writer)

    def handle(self, req: Request) -> Response:
        p, m = req.parts, req.method
        if not p:
            return 200, self._resources(req.version)
        head = p[0]
        if head == "limits" and m == "GET":
            return 200, {"DailyApiRequests": {"Max": 15000, "Remaining": 15000}}
        if head in ("query", "queryAll") and m == "GET":
            return self._query(req, head == "queryAll")
        if head == "sobjects":
            return self._sobjects(req)
        if head == "composite" and len(p) >= 2 and p[1] == "sobjects":
            return self.composite.handle(req)
        raise not_found()

    def _resources(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "composite", "limits", "jobs")
        return {n: f"{base}/{n}" for n in names}

    # -- query --------------------------------------------------------------------------------
    def _query(self, req: Request, include_deleted: bool) -> Response:
        if len(req.parts) >= 2:
            return 200, self.queries.more(req.parts[1], req.version)
        soql = req.params.get("q")
        if soql is None:
            raise SfError("MALFORMED_QUERY", "A query string must be provided.")
        batch = batch_size_from_header(req.headers.get("sforce-query-options"))
        return 200, self.queries.start(soql, include_deleted, batch, req.version)

    # -- sobjects -----------------------------------------------------------------------------
    def spec(self, name: str) -> ObjectSpec:
        spec = self.catalog.get(name)
        if spec is None:
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        return spec

    def _sobjects(self, req: Request) -> Response:  # noqa: PLR0911
        p, m = req.parts, req.method
        if len(p) == 1:
            if m != "GET":
                raise SfError(
                    "METHOD_NOT_ALLOWED", f"HTTP Method '{m}' not allowed. Allowed are GET", status=405
                )
            return 200, _global(self.catalog, req.version)
        spec = self.spec(p[1])
        if len(p) == 2:
            if m == "POST":
                return 201, {"id": self.writer.create(spec, self._body(req)), "success": True, "errors": []}
            if m == "GET":
                d = _describe(self.catalog, spec.name, req.version)
                keys = (
                    "activateable",
                    "createable",
                    "custom",
                    "customSetting",
                    "deletable",
                    "keyPrefix",
                    "label",
                    "labelPlural",
                    "layoutable",
                    "mergeable",
                    "name",
                    "queryable",
                    "replicateable",
                    "retrieveable",
                    "searchable",
                    "triggerable",
                    "undeletable",
                    "updateable",
                    "urls",
                )
                return 200, {"objectDescribe": {k: d.get(k) for k in keys}, "recentItems": []}
            raise SfError(
                "METHOD_NOT_ALLOWED", f"HTTP Method '{m}' not allowed. Allowed are GET,POST", status=405
            )
        sub = p[2]
        if len(p) == 3 and sub == "describe" and m == "GET":
            return 200, _describe(self.catalog, spec.name, req.version)
        if len(p) == 3 and sub in ("updated", "deleted") and m == "GET":
            return 200, self._replication(spec, req, sub)
        if len(p) == 3:
            if m == "GET":
                return 200, self._get(spec, sub, req)
            if m == "PATCH":
                self.writer.update(spec, sub, self._body(req))
                return 204, None
            if m == "DELETE":
                self.writer.delete(spec, sub)
                return 204, None
            raise SfError(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{m}' not allowed. Allowed are GET,PATCH,DELETE",
                status=405,
            )
        if len(p) == 4:
            return self._by_external_id(spec, p[2], unquote(p[3]), req)
        raise not_found()

    def _body(self, req: Request) -> dict[str, Any]:
        if not isinstance(req.body, dict):
            raise SfError("JSON_PARSER_ERROR", "The request body must be a JSON object")
        return req.body

    def _get(self, spec: ObjectSpec, record_id: str, req: Request) -> dict[str, Any]:
        rid = normalize_id(record_id)
        row = self.store.get_row(spec, rid) if rid and rid[:3] == spec.key_prefix else None
        if row is None:
            raise not_found()
        if row["IsDeleted"]:
            raise entity_deleted()
        return self._shape(spec, row, req)

    def _shape(self, spec: ObjectSpec, row: dict[str, Any], req: Request) -> dict[str, Any]:
        fields = None
        if req.params.get("fields"):
            fields = []
            for name in req.params["fields"].split(","):
                f = spec.field(name.strip())
                if f is None:
                    raise SfError("INVALID_FIELD", f"No such column '{name.strip()}' on entity '{spec.name}'")
                fields.append(f)
        return row_to_json(spec, row, req.version, fields)

    def _by_external_id(self, spec: ObjectSpec, field_name: str, value: str, req: Request) -> Response:
        f = spec.field(field_name)
        if f is None or not (f.external_id or f.name == "Id"):
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        if req.method == "PATCH":
            try:
                update_only = req.params.get("updateOnly", "").lower() == "true"  # API 57.0+: never create
                rid, created = self.writer.upsert(
                    spec, f.name, value, self._body(req), create=not update_only
                )
            except MultipleMatches as exc:
                return 300, [record_url(spec, i, req.version) for i in exc.ids]
            return (201 if created else 200), {"id": rid, "success": True, "errors": [], "created": created}
        key = normalize_id(value) if f.name == "Id" else value
        ids = self.store.find_ids(spec, f.name, key) if key else []
        if len(ids) > 1:
            return 300, [record_url(spec, i, req.version) for i in ids]
        if not ids:
            raise not_found()
        if req.method == "GET":
            row = self.store.get_row(spec, ids[0])
            assert row is not None
            return 200, self._shape(spec, row, req)
        if req.method == "DELETE":
            self.writer.delete(spec, ids[0])
            return 204, None
        raise SfError("METHOD_NOT_ALLOWED", f"HTTP Method '{req.method}' not allowed.", status=405)

    # -- getUpdated / getDeleted --------------------------------------------------------------
    def _replication(self, spec: ObjectSpec, req: Request, kind: str) -> dict[str, Any]:
        try:
            start = parse_datetime_text(req.params["start"]).astimezone(UTC).replace(second=0, microsecond=0)
            end = parse_datetime_text(req.params["end"]).astimezone(UTC).replace(second=0, microsecond=0)
        except (KeyError, BadValue):
            raise SfError(
                "MALFORMED_QUERY", "start and end must be ISO 8601 date-times with a time zone"
            ) from None
        now = datetime.now(UTC)
        end = min(end, now)  # nothing after "now" is covered yet
        if start >= end:
            raise SfError(
                "INVALID_REPLICATION_DATE",
                "startDate must chronologically precede endDate by more than one minute",
            )
        window = UPDATED_WINDOW if kind == "updated" else DELETED_WINDOW
        if start < now - window:
            raise SfError("INVALID_REPLICATION_DATE", f"startDate cannot be more than {window.days} days ago")
        lo, hi = format_datetime(start), format_datetime(end)
        table = f'"{spec.name}"'
        if kind == "updated":
            rows = self.store.query(
                f'SELECT "Id" FROM {table} WHERE "SystemModstamp" >= ? AND "SystemModstamp" < ? '
                'AND "IsDeleted" = 0 '
                'ORDER BY "SystemModstamp", "Id"',
                (lo, hi),
            )
            return {"ids": [r[0] for r in rows], "latestDateCovered": hi}
        rows = self.store.query(
            f'SELECT "Id", "{DELETED_AT}" FROM {table} WHERE "IsDeleted" = 1 AND "{DELETED_AT}" >= ? '
            f'AND "{DELETED_AT}" < ? ORDER BY "{DELETED_AT}", "Id"',
            (lo, hi),
        )
        oldest = self.store.query(f'SELECT MIN("{DELETED_AT}") FROM {table} WHERE "IsDeleted" = 1')[0][0]
        return {
            "deletedRecords": [{"id": r[0], "deletedDate": r[1]} for r in rows],
            "earliestDateAvailable": oldest or hi,
            "latestDateCovered": hi,
        }

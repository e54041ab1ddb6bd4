"""sObject Collections (`/composite/sobjects`): up to 200 records per call, results in order.

This is how a sync engine writes in batches, and where partial failure lives: each
record gets its own `{id, success, errors}` result, and with `allOrNone` one
failure rolls everything back (others get ALL_OR_NONE_OPERATION_ROLLED_BACK). A
savepoint per record undoes that record's partial work without ending the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.salesforce.sandbox.errors import SfError, not_found
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.records import MultipleMatches, Writer
from connectors.salesforce.sandbox.schema import ObjectSpec
from connectors.salesforce.sandbox.store import Store
from connectors.salesforce.sandbox.values import row_to_json

if TYPE_CHECKING:
    from connectors.salesforce.sandbox.rest import Request, Response

MAX_RECORDS = 200
MAX_RETRIEVE = 2000
_ROLLED_BACK = SfError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


class _Rollback(Exception):
    pass


def _too_many() -> SfError:
    return SfError(
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
    )


class CompositeApi:
    def __init__(self, store: Store, writer: Writer) -> None:
        self.store = store
        self.writer = writer

    def handle(self, req: Request) -> Response:
        p, m = req.parts, req.method
        if len(p) == 2 and m in ("POST", "PATCH"):
            body = self._body(req)
            return 200, self._run(body, lambda rec: self._create_or_update(m, rec), body.get("allOrNone"))
        if len(p) == 2 and m == "DELETE":
            ids = [i for i in req.params.get("ids", "").split(",") if i]
            if not ids:
                raise SfError("MISSING_ARGUMENT", "ids parameter must be provided")
            if len(ids) > MAX_RECORDS:
                raise _too_many()
            all_or_none = req.params.get("allOrNone", "false").lower() == "true"
            return 200, self._run({"records": ids}, self._delete, all_or_none)
        if len(p) == 3 and m in ("GET", "POST"):
            return 200, self._retrieve(p[2], req)
        if len(p) == 4 and m == "PATCH":
            spec = self._spec(p[2])
            f = spec.field(p[3])
            if f is None or not f.external_id:
                raise SfError(
                    "INVALID_FIELD",
                    f"Field name provided, {p[3]} is not an External ID or indexed field for {spec.name}",
                )
            body = self._body(req)
            return 200, self._run(
                body, lambda rec: self._upsert(spec, f.name, rec), body.get("allOrNone"), True
            )
        raise not_found()

    def _spec(self, name: str) -> ObjectSpec:
        spec = self.store.catalog.get(name)
        if spec is None:
            raise SfError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return spec

    def _body(self, req: Request) -> dict[str, Any]:
        body = req.body
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise SfError("JSON_PARSER_ERROR", "The request body must be an object with a 'records' list")
        if len(body["records"]) > MAX_RECORDS:
            raise _too_many()
        return body

    # -- per-record operations (return (id, extra result fields)) -----------------------------
    def _record_spec(self, rec: Any) -> ObjectSpec:
        if not isinstance(rec, dict):
            raise SfError("JSON_PARSER_ERROR", "Each record must be a JSON object")
        kind = (rec.get("attributes") or {}).get("type")
        if not kind:
            raise SfError("INVALID_TYPE", "Must send a concrete entity type.")
        return self._spec(kind)

    def _create_or_update(self, method: str, rec: Any) -> tuple[str | None, dict[str, Any]]:
        spec = self._record_spec(rec)
        fields = {k: v for k, v in rec.items() if k != "attributes"}
        if method == "POST":
            if any(k.lower() == "id" for k in fields):
                raise SfError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            return self.writer.create(spec, fields), {}
        rid = next((v for k, v in fields.items() if k.lower() == "id"), None)
        if not rid:
            raise SfError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        fields = {k: v for k, v in fields.items() if k.lower() != "id"}
        self.writer.update(spec, str(rid), fields)
        return normalize_id(str(rid)), {}

    def _upsert(self, spec: ObjectSpec, field_name: str, rec: Any) -> tuple[str | None, dict[str, Any]]:
        self._record_spec(rec)
        key = next((v for k, v in rec.items() if k.lower() == field_name.lower()), None)
        if key in (None, ""):
            raise SfError("MISSING_ARGUMENT", f"{field_name} not specified", [field_name])
        fields = {k: v for k, v in rec.items() if k != "attributes" and k.lower() != field_name.lower()}
        try:
            rid, created = self.writer.upsert(spec, field_name, str(key), fields)
        except MultipleMatches as exc:
            raise SfError(
                "DUPLICATE_EXTERNAL_ID",
                f"The record you are attempting to edit, or one of its related "
                f"records, has been specified more than once: {', '.join(exc.ids)}",
                [field_name],
            ) from None
        return rid, {"created": created}

    def _delete(self, raw_id: Any) -> tuple[str | None, dict[str, Any]]:
        rid = normalize_id(str(raw_id))
        spec = self.store.catalog.by_prefix(rid[:3]) if rid else None
        if rid is None or spec is None:
            raise SfError("MALFORMED_ID", f"malformed id {raw_id}")
        self.writer.delete(spec, rid)
        return rid, {}

    # -- the batch ----------------------------------------------------------------------------
    def _run(
        self, body: dict[str, Any], op: Any, all_or_none: Any, upsert: bool = False
    ) -> list[dict[str, Any]]:
        records = body["records"]
        results: list[dict[str, Any]] = []
        failed = False
        try:
            with self.store.transaction():
                for rec in records:
                    try:
                        with self.store.savepoint():
                            rid, extra = op(rec)
                        results.append({"id": rid, "success": True, "errors": [], **extra})
                    except SfError as exc:
                        failed = True
                        extra = {"created": False} if upsert else {}
                        results.append({"id": None, "success": False, "errors": [exc.record_body()], **extra})
                if failed and all_or_none:
                    raise _Rollback
        except _Rollback:
            return [
                r
                if not r["success"]
                else {
                    "id": None,
                    "success": False,
                    "errors": [_ROLLED_BACK.record_body()],
                    **({"created": False} if upsert else {}),
                }
                for r in results
            ]
        return results

    def _retrieve(self, name: str, req: Request) -> list[dict[str, Any] | None]:
        spec = self._spec(name)
        if req.method == "POST":
            body = req.body if isinstance(req.body, dict) else {}
            ids, fields = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            ids = [i for i in req.params.get("ids", "").split(",") if i]
            fields = [f for f in req.params.get("fields", "").split(",") if f]
        if not ids or not fields:
            raise SfError("MISSING_ARGUMENT", "ids and fields must be provided")
        if len(ids) > MAX_RETRIEVE:
            raise _too_many()
        specs = []
        for name_ in fields:
            f = spec.field(name_.strip())
            if f is None:
                raise SfError("INVALID_FIELD", f"No such column '{name_.strip()}' on entity '{spec.name}'")
            specs.append(f)
        out: list[dict[str, Any] | None] = []
        for raw in ids:
            rid = normalize_id(raw)
            row = self.store.get_row(spec, rid) if rid else None
            out.append(row_to_json(spec, row, req.version, specs) if row and not row["IsDeleted"] else None)
        return out

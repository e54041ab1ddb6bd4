"""Write semantics of sObjects: create, update, upsert, delete with Salesforce's validation.

A sync engine meets these rules in production (required fields, lengths,
restricted picklists, e-mail format, read-only fields, bad lookups, duplicate
external ids), so the sandbox enforces them from the describe flags and answers
with the real error codes and message wording. Single-record REST calls and
composite collections both go through `Writer`, so they behave identically.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connectors.salesforce.sandbox.errors import SfError, entity_deleted, not_found
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.schema import FieldSpec, ObjectSpec
from connectors.salesforce.sandbox.store import DELETED_AT, DEMO_USER_ID, Store
from connectors.salesforce.sandbox.values import BadValue, to_storage

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_SYSTEM_REFS = ("OwnerId", "CreatedById", "LastModifiedById")
FaultCheck = Callable[[ObjectSpec, dict[str, Any]], SfError | None]


class Writer:
    """Validates and applies writes; each method raises SfError on a record-level failure."""

    def __init__(self, store: Store, fault_check: FaultCheck | None = None) -> None:
        self.store = store
        self.fault_check = fault_check

    # -- public operations --------------------------------------------------------------------
    def create(self, spec: ObjectSpec, body: dict[str, Any]) -> str:
        values = self._convert(spec, body, creating=True)
        with self.store.transaction():
            row = self._defaults(spec)
            row.update(values)
            self._derive(spec, row)
            self._check_required(spec, row)
            self._check_unique(spec, row, None)
            self._check_fault(spec, row)
            row["Id"] = self.store.next_ids(spec, 1)[0]
            self.store.insert_rows(spec, [row])
        return str(row["Id"])

    def update(self, spec: ObjectSpec, record_id: str, body: dict[str, Any]) -> None:
        values = self._convert(spec, body, creating=False)
        with self.store.transaction():
            current = self._live_row(spec, record_id)
            merged = {**current, **values}
            self._derive(spec, merged)
            self._check_required(spec, merged, only=values.keys())
            self._check_unique(spec, merged, current["Id"])
            self._check_fault(spec, merged)
            stamp = self.store.stamp()
            changes = {k: merged[k] for k in values}
            for name in ("Name",):
                if (
                    name in spec.fields
                    and not spec.fields[name].createable
                    and merged.get(name) != current.get(name)
                ):
                    changes[name] = merged[name]
            changes.update(LastModifiedDate=stamp, SystemModstamp=stamp, LastModifiedById=DEMO_USER_ID)
            self.store.update_row(spec, current["Id"], changes)

    def upsert(
        self, spec: ObjectSpec, field_name: str, key: str, body: dict[str, Any], create: bool = True
    ) -> tuple[str, bool]:
        """Returns (id, created). Several matches raise the 300 answer's error; with create=False
        (`updateOnly=true`) no match is NOT_FOUND instead of a new record."""
        f = spec.field(field_name)
        if f is None or not (f.external_id or f.name == "Id"):
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        body = {k: v for k, v in body.items() if k.lower() != f.name.lower() or f.name != "Id"}
        with self.store.transaction():
            if f.name == "Id":
                rid = normalize_id(key)
                matches = self.store.find_ids(spec, "Id", rid) if rid else []
            else:
                matches = self.store.find_ids(spec, f.name, key)
            if len(matches) > 1:
                raise MultipleMatches(spec, matches)
            if matches:
                self.update(spec, matches[0], body)
                return matches[0], False
            if f.name == "Id" or not create:
                raise not_found()
            return self.create(spec, {**body, f.name: key}), True

    def delete(self, spec: ObjectSpec, record_id: str) -> None:
        if not spec.describe.get("deletable", True):  # User: deactivated, never deleted
            raise SfError("INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted")
        with self.store.transaction():
            current = self._live_row(spec, record_id)
            self._check_fault(spec, current)
            stamp = self.store.stamp()
            marks = {"IsDeleted": 1, "SystemModstamp": stamp, DELETED_AT: stamp}
            self.store.update_row(spec, current["Id"], marks)
            if spec.name == "Account":  # deleting an account sends its children to the recycle bin too
                for child in ("Contact", "Opportunity", "Case"):
                    child_spec = self.store.catalog.objects[child]
                    for cid in self.store.find_ids(child_spec, "AccountId", current["Id"]):
                        self.store.update_row(child_spec, cid, marks)

    # -- helpers ------------------------------------------------------------------------------
    def _live_row(self, spec: ObjectSpec, record_id: str) -> dict[str, Any]:
        rid = normalize_id(record_id)
        if rid is None or rid[:3] != spec.key_prefix:
            raise not_found()
        row = self.store.get_row(spec, rid)
        if row is None:
            raise not_found()
        if row["IsDeleted"]:
            raise entity_deleted()
        return row

    def _defaults(self, spec: ObjectSpec) -> dict[str, Any]:
        stamp = self.store.stamp()
        row: dict[str, Any] = {}
        for f in spec.fields.values():
            if f.type == "boolean" and f.stored:
                row[f.name] = 0
        for name in _SYSTEM_REFS:
            if name in spec.fields:
                row[name] = DEMO_USER_ID
        for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            row[name] = stamp
        if spec.name == "Case":
            count = int(self.store.query('SELECT COUNT(*) FROM "Case"')[0][0])
            row["CaseNumber"] = f"{count + 1001:08d}"
        return row

    def _convert(self, spec: ObjectSpec, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        bad_access: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            f = spec.field(key)
            if f is None or not f.stored:
                raise SfError("INVALID_FIELD", f"No such column '{key}' on sobject of type {spec.name}")
            if not (f.createable if creating else f.updateable):
                bad_access.append(f.name)
                continue
            out[f.name] = self._value(spec, f, raw)
        if bad_access:
            verb = "create" if creating else "update"
            raise SfError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb} fields: {', '.join(bad_access)}. Please check the security settings of "
                "this field and verify that it is read/write for your profile or permission set.",
                bad_access,
            )
        return out

    def _value(self, spec: ObjectSpec, f: FieldSpec, raw: Any) -> Any:
        try:
            value = to_storage(f, raw)
        except BadValue:
            kind = {"int": "int", "double": "double", "currency": "double", "percent": "double"}.get(
                f.type, f.type
            )
            raise SfError(
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {kind} from {type(raw).__name__} value {raw!s} "
                f"or request may be missing a required field",
                [f.name],
            ) from None
        if value is None:
            return None
        if (
            isinstance(value, str)
            and f.length
            and len(value) > f.length
            and f.type not in ("reference", "id")
        ):
            raise SfError(
                "STRING_TOO_LONG",
                f"{f.label}: data value too large: {value} (max length={f.length})",
                [f.name],
            )
        if f.type == "email" and not _EMAIL_RE.match(value):
            raise SfError("INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {value}", [f.name])
        if f.type == "picklist" and f.restricted_picklist and value not in f.picklist_values:
            raise SfError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{f.label}: bad value for restricted picklist field: {value}",
                [f.name],
            )
        if f.type == "reference":
            return self._reference(f, value)
        return value

    def _reference(self, f: FieldSpec, value: str) -> str:
        rid = normalize_id(value)
        if rid is None:
            raise SfError("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        targets = [self.store.catalog.objects[t] for t in f.reference_to if t in self.store.catalog.objects]
        if len(targets) < len(f.reference_to) and not any(t.key_prefix == rid[:3] for t in targets):
            return rid  # may point at an object the sandbox does not store (Group, Profile): unchecked
        target = next((t for t in targets if t.key_prefix == rid[:3]), None)
        if target is None:
            raise SfError(
                "FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {value}", [f.name]
            )
        row = self.store.get_row(target, rid)
        if row is None or row["IsDeleted"]:
            raise SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])
        return rid

    def _derive(self, spec: ObjectSpec, row: dict[str, Any]) -> None:
        """Fields Salesforce computes: the person Name of Contact, Lead and User."""
        if spec.name in ("Contact", "Lead", "User"):
            parts = [row.get("FirstName"), row.get("LastName")]
            row["Name"] = " ".join(p for p in parts if p) or None

    def _check_required(self, spec: ObjectSpec, row: dict[str, Any], only: Any = None) -> None:
        names = [
            f.name
            for f in spec.fields.values()
            if f.required and row.get(f.name) is None and (only is None or f.name in only)
        ]
        if names:
            raise SfError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(names)}]", names
            )

    def _check_unique(self, spec: ObjectSpec, row: dict[str, Any], own_id: str | None) -> None:
        for f in spec.fields.values():
            if not (f.unique and f.external_id and f.stored) or row.get(f.name) is None:
                continue
            others = [
                i for i in self.store.find_ids(spec, f.name, row[f.name], include_deleted=True) if i != own_id
            ]
            if others:
                raise SfError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {f.name} duplicates value on record with id: {others[0]}",
                    [],
                )

    def _check_fault(self, spec: ObjectSpec, row: dict[str, Any]) -> None:
        if self.fault_check is not None:
            err = self.fault_check(spec, row)
            if err is not None:
                raise err


class MultipleMatches(SfError):
    """Upsert key matched several records: HTTP 300 with the list of their URLs."""

    def __init__(self, spec: ObjectSpec, ids: list[str]) -> None:
        super().__init__(
            "MULTIPLE_CHOICES", f"More than one record found for external id on {spec.name}", status=300
        )
        self.spec = spec
        self.ids = ids

"""Translate Salesforce answers (describe bodies, query records) into engine types.

Pure data -> data, no I/O, so the rules are in one readable place:

- describe: `required` = createable and not nillable and not defaultedOnCreate
  (Salesforce's own rule for "must be given on create"); `readonly` = neither
  createable nor updateable; picklist `choices` are the active values; `Id`
  counts as an external id, because upserting by Id is valid.
- records: the `attributes` envelope is dropped. A relationship path that was
  asked for (`Account.Name`) is flattened: `fields["Account.Name"]` holds the
  value, None when the relationship is empty. Keys are spelled as the caller
  asked, whatever casing Salesforce answers with, so a mapping finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.salesforce.soql import parse_datetime
from officebridge.connector import FieldInfo, FieldKind, ObjectInfo, SourceRecord
from officebridge.errors import RemoteProtocolError

ID_PATTERN = "^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$"  # 15- or 18-character record ids
KINDS = {
    "id": FieldKind.ID,
    "reference": FieldKind.REFERENCE,
    "string": FieldKind.STRING,
    "phone": FieldKind.STRING,
    "url": FieldKind.STRING,
    "email": FieldKind.STRING,
    "encryptedstring": FieldKind.STRING,
    "combobox": FieldKind.STRING,
    "time": FieldKind.STRING,
    "textarea": FieldKind.TEXT,
    "int": FieldKind.INTEGER,
    "long": FieldKind.INTEGER,
    "double": FieldKind.DECIMAL,
    "currency": FieldKind.DECIMAL,
    "percent": FieldKind.DECIMAL,
    "boolean": FieldKind.BOOLEAN,
    "date": FieldKind.DATE,
    "datetime": FieldKind.DATETIME,
    "picklist": FieldKind.PICKLIST,
    "multipicklist": FieldKind.MULTI_PICKLIST,  # one string, values joined by ';'
}
FORMATS = {"email": "email", "date": "date"}  # not uri: Website values often lack a scheme


def field_info(raw: dict[str, Any]) -> FieldInfo:
    createable = bool(raw.get("createable"))
    updateable = bool(raw.get("updateable"))
    name = str(raw["name"])
    length = raw.get("length")
    native = str(raw.get("type", ""))
    kind = KINDS.get(native, FieldKind.OTHER)
    return FieldInfo(
        name=name,
        type=native,
        kind=kind,
        format=FORMATS.get(native),
        pattern=ID_PATTERN if kind in (FieldKind.ID, FieldKind.REFERENCE) else None,
        relationship=str(raw["relationshipName"]) if raw.get("relationshipName") else None,
        label=str(raw.get("label") or name),
        required=createable and not raw.get("nillable") and not raw.get("defaultedOnCreate"),
        readonly=not createable and not updateable,
        length=int(length) if length else None,
        choices=tuple(
            str(p["value"]) for p in raw.get("picklistValues") or () if p.get("active", True) and "value" in p
        ),
        reference_to=tuple(raw.get("referenceTo") or ()),
        external_id=bool(raw.get("externalId")) or name == "Id",
    )


def object_info(body: Any, object_name: str) -> ObjectInfo:
    if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
        raise RemoteProtocolError(f"describe {object_name}: the answer has no field list")
    fields = {f.name: f for f in (field_info(raw) for raw in body["fields"])}
    return ObjectInfo(
        name=str(body.get("name") or object_name), label=str(body.get("label") or ""), fields=fields
    )


def _get_ci(record: dict[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    lower = key.lower()
    for k, v in record.items():
        if k.lower() == lower:
            return v
    return None


def field_value(record: dict[str, Any], path: str) -> Any:
    """The value at `path` (`Name`, `Account.Owner.Name`); None if a relationship is empty."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = _get_ci(value, part)
    if isinstance(value, dict):  # a relationship asked for as a whole: keep it, minus the envelope
        return {k: v for k, v in value.items() if k != "attributes"}
    return value


def source_record(raw: Any, object_name: str, fields: Sequence[str], *, cursor_field: str) -> SourceRecord:
    if not isinstance(raw, dict) or not raw.get("Id"):
        raise RemoteProtocolError(f"query {object_name}: a record without Id in the answer")
    record_id = str(raw["Id"])
    stamp = raw.get(cursor_field)
    if not isinstance(stamp, str):
        raise RemoteProtocolError(f"query {object_name}: record {record_id} has no {cursor_field}")
    try:
        cursor = parse_datetime(stamp)
    except ValueError:
        raise RemoteProtocolError(
            f"query {object_name}: record {record_id} has an unreadable {cursor_field} {stamp!r}"
        ) from None
    values: dict[str, Any] = {}
    for name in fields:  # a field answered under its own name, not a relationship: taken as it is
        value = raw.get(name, _ABSENT)
        values[name] = field_value(raw, name) if value is _ABSENT or value.__class__ is dict else value
    return SourceRecord(id=record_id, cursor=cursor, deleted=bool(raw.get("IsDeleted", False)), fields=values)


_ABSENT = object()

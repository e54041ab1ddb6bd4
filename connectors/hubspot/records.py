"""HubSpot's wire shapes as officebridge's: properties as `FieldInfo`, objects as `SourceRecord`.

Every property value travels as a string; the property's `type` says what it
holds, so reads turn numbers and booleans into JSON numbers and booleans (and
leave datetimes in the wire form the manifest's `WireFormat` parses), and writes
turn them back into strings. A `checkbox` enumeration holds several options
joined by ";". Email is the de-duplication key of contacts without carrying
`hasUniqueValue`, so it counts as an external id as the flagged properties do.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.hubspot.manifest import WIRE
from officebridge.connector import FieldInfo, FieldKind, ObjectInfo, SourceRecord
from officebridge.errors import RemoteProtocolError

REFERENCES = {"associatedcompanyid": ("companies",)}


def _kind(prop: dict[str, Any]) -> FieldKind:
    name, type_, widget = prop.get("name"), prop.get("type"), prop.get("fieldType")
    if name == "hs_object_id":
        return FieldKind.ID
    if name in REFERENCES:
        return FieldKind.REFERENCE
    if type_ == "enumeration":
        return FieldKind.MULTI_PICKLIST if widget == "checkbox" else FieldKind.PICKLIST
    return {
        "string": FieldKind.TEXT if widget in ("textarea", "html") else FieldKind.STRING,
        "number": FieldKind.DECIMAL,
        "bool": FieldKind.BOOLEAN,
        "date": FieldKind.DATE,
        "datetime": FieldKind.DATETIME,
    }.get(str(type_), FieldKind.OTHER)


def field_info(object_name: str, prop: dict[str, Any]) -> FieldInfo:
    name = str(prop["name"])
    meta = prop.get("modificationMetadata") or {}
    kind = _kind(prop)
    choices = tuple(
        str(o["value"])
        for o in prop.get("options") or []
        if kind in (FieldKind.PICKLIST, FieldKind.MULTI_PICKLIST)
    )
    unique = bool(prop.get("hasUniqueValue")) or (object_name == "contacts" and name == "email")
    return FieldInfo(
        name=name,
        type=f"{prop.get('type')}/{prop.get('fieldType')}",
        kind=kind,
        label=str(prop.get("label") or name),
        readonly=bool(meta.get("readOnlyValue")) or bool(prop.get("calculated")),
        choices=choices,
        reference_to=REFERENCES.get(name, ()),
        external_id=unique,
        format="email" if name == "email" else None,
        pattern=r"^\d+$" if kind in (FieldKind.ID, FieldKind.REFERENCE) else None,
    )


def object_info(object_name: str, body: dict[str, Any]) -> ObjectInfo:
    results = body.get("results")
    if not isinstance(results, list):
        raise RemoteProtocolError(f"HubSpot properties of {object_name}: no result list")
    fields = {str(p["name"]): field_info(object_name, p) for p in results if not p.get("archived")}
    return ObjectInfo(object_name, object_name.title(), fields)


def from_wire(info: FieldInfo | None, value: Any) -> Any:
    if value is None or value == "" or info is None:
        return None if value == "" else value
    if info.kind is FieldKind.BOOLEAN:
        return str(value).lower() == "true"
    if info.kind is FieldKind.DECIMAL:
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def to_wire(info: FieldInfo | None, value: Any) -> str:
    """A value as HubSpot wants it in a write: a string ("" clears the property)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if info is not None and info.kind is FieldKind.DATE:
            return value.date().isoformat()
        return str(WIRE.format_datetime(value))
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def cursor_of(raw: dict[str, Any], cursor_field: str) -> datetime | None:
    props = raw.get("properties") or {}
    if raw.get("archived"):
        return WIRE.parse_datetime(raw.get("archivedAt") or raw.get("updatedAt"))
    return WIRE.parse_datetime(props.get(cursor_field) or raw.get("updatedAt"))


def source_record(
    raw: dict[str, Any], info: ObjectInfo, fields: tuple[str, ...], cursor_field: str
) -> SourceRecord:
    props = raw.get("properties") or {}
    values = {name: from_wire(info.fields.get(name), props.get(name)) for name in fields}
    return SourceRecord(str(raw["id"]), cursor_of(raw, cursor_field), bool(raw.get("archived")), values)

"""Draft a record schema from what the target system says about its object.

`officebridge schema draft MAPPING` asks the target connector to describe the
target object and writes a JSON Schema 2020-12 covering only the fields the
mapping writes: JSON types from the fields' neutral kinds (`FieldInfo.kind`,
never a system's own type names), `required` from fields the system needs on
create (and the match field), `maxLength` from lengths, `enum` from choices,
`format` and `pattern` from what the connector declares (a system's id
syntax is its connector's knowledge, not the engine's). It is a starting
point: the analyst adds what no describe knows (a pattern for emails, a range
for amounts) and keeps the file under `schemas/records/<system>/<object>.json`.
"""

from __future__ import annotations

from typing import Any

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPE = {
    FieldKind.STRING: "string",
    FieldKind.TEXT: "string",
    FieldKind.ID: "string",
    FieldKind.DATE: "string",
    FieldKind.DATETIME: "string",  # in the target's wire format, which need not be RFC 3339
    FieldKind.MULTI_PICKLIST: "string",  # the system's own encoding of several values
    FieldKind.INTEGER: "integer",
    FieldKind.DECIMAL: "number",
    FieldKind.MULTI_REFERENCE: "array",
}


def _nullable(types: list[str], nullable: bool) -> str | list[str]:
    full = [*types, *(["null"] if nullable else [])]
    return full[0] if len(full) == 1 else full


def field_schema(info: FieldInfo, *, nullable: bool) -> dict[str, Any]:
    """The JSON Schema of one target field's value, from its describe."""
    out: dict[str, Any] = {}
    if info.label and info.label != info.name:
        out["title"] = info.label
    if info.kind is FieldKind.PICKLIST and info.choices:
        out["enum"] = [*info.choices, *([None] if nullable else [])]
        return out
    if info.kind is FieldKind.BOOLEAN:
        out["type"] = "boolean"  # an empty boolean is false on the systems we know; refine if not
        return out
    if info.kind is FieldKind.REFERENCE:  # a resolved reference: the target's record id, text or a number
        out["type"] = _nullable(["string", "integer"], nullable)
        if info.pattern:
            out["pattern"] = info.pattern
        return out
    json_type = _JSON_TYPE.get(info.kind)
    if json_type is None:  # OTHER: passed through untouched, so only a hint
        out["description"] = f"type {info.type!r} of {info.name}: check which values it takes"
        return out
    out["type"] = _nullable([json_type], nullable)
    if json_type == "string":
        out.update(_string_rules(info))
    return out


def _string_rules(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if info.length:
        out["maxLength"] = info.length
    fmt = info.format or ("date" if info.kind is FieldKind.DATE else None)
    if fmt:
        out["format"] = fmt
    if info.pattern:
        out["pattern"] = info.pattern
    return out


def draft_schema(mapping: Any, info: ObjectInfo) -> dict[str, Any]:
    """A schema for the records `mapping` writes to `info` (the described target object)."""
    target = mapping.target
    creates = target.mode != "update"
    properties: dict[str, Any] = {}
    required: list[str] = []
    for rule in mapping.fields:
        field = info.fields.get(rule.target)
        needed = rule.target == target.match or (field is not None and field.required and creates)
        if field is None:
            properties[rule.target] = {"description": f"not described by {target.system} {target.object}"}
        else:
            properties[rule.target] = field_schema(field, nullable=not needed)
        if needed:
            required.append(rule.target)
    schema: dict[str, Any] = {
        "$schema": SCHEMA_URI,
        "title": f"{target.system} {target.object} ({info.label}) as written by {mapping.name}",
        "description": "Drafted by `officebridge schema draft` from the target's describe; refine it.",
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }
    return schema

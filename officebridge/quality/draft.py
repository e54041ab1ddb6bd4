"""Draft a record schema from what the target system says about its object.

`officebridge schema draft MAPPING` asks the target connector to describe the
target object and writes a JSON Schema 2020-12 covering only the fields the
mapping writes: JSON types from the system's field types, `required` from
fields the system needs on create (and the match field), `maxLength` from
field lengths, `enum` from picklist / selection values. It is a starting
point: the analyst adds what no describe knows (a pattern for emails, a range
for amounts) and keeps the file under `schemas/records/<system>/<object>.json`.
"""

from __future__ import annotations

from typing import Any

from officebridge.connector import FieldInfo, ObjectInfo

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
_STRING = {
    "string", "textarea", "phone", "url", "email", "encryptedstring", "combobox", "char", "text", "html",
    "id", "reference", "time", "base64", "anyType",
}  # fmt: skip
_NUMBER = {"double", "currency", "percent", "float", "monetary"}
_INTEGER = {"int", "integer", "long"}
_REFERENCE = {"many2one", "many2one_reference"}
_CHOICE = {"picklist", "selection"}
_LIST = {"multipicklist"}  # Salesforce: one string, values joined by ';'
_ARRAY = {"many2many", "one2many"}
_JSON_TYPES = (("array", _ARRAY), ("integer", _INTEGER), ("number", _NUMBER))
_SF_ID = "^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$"


def field_schema(info: FieldInfo, *, nullable: bool) -> dict[str, Any]:
    """The JSON Schema of one target field's value, from its describe."""
    kind = info.type
    out: dict[str, Any] = {}
    if info.label and info.label != info.name:
        out["title"] = info.label
    if kind in _CHOICE and info.choices:
        out["enum"] = [*info.choices, *([None] if nullable else [])]
        return out
    if kind == "boolean":
        out["type"] = "boolean"  # Odoo and Salesforce booleans are never empty
        return out
    if kind in _REFERENCE:  # a resolved reference is the target's record id, as text or a number
        out["type"] = ["string", "integer", *(["null"] if nullable else [])]
        out["pattern"] = "^[1-9][0-9]*$"
        return out
    json_type = next((t for t, kinds in _JSON_TYPES if kind in kinds), "string")
    out["type"] = [json_type, "null"] if nullable else json_type
    if json_type == "string":
        out.update(_string_rules(info))
    return out


def _string_rules(info: FieldInfo) -> dict[str, Any]:
    kind = info.type
    out: dict[str, Any] = {}
    if info.length:
        out["maxLength"] = info.length
    if kind in ("id", "reference") and info.length in (None, 18):
        out["pattern"] = _SF_ID
    elif kind == "date":
        out["format"] = "date"
    elif kind == "email":
        out["format"] = "email"
    elif kind not in _STRING and kind not in _LIST and kind != "datetime":
        out["description"] = f"type {kind!r} of {info.name}: check which values it takes"
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

"""Drafted record schemas come from neutral field kinds and what the connector declares, never type names."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo
from officebridge.mapping import parse_mapping
from officebridge.quality.draft import draft_schema, field_schema

ID_SYNTAX = "^ID-[0-9]{4}$"  # some system's id syntax: the connector knows it, the engine does not


def test_each_kind_gives_its_json_type_and_the_connector_rules() -> None:
    cases = {
        FieldInfo("n", "whatever", kind=FieldKind.STRING, length=40): {
            "type": ["string", "null"],
            "maxLength": 40,
        },
        FieldInfo("e", "x", kind=FieldKind.STRING, format="email"): {
            "type": ["string", "null"],
            "format": "email",
        },
        FieldInfo("i", "x", kind=FieldKind.ID, pattern=ID_SYNTAX): {
            "type": ["string", "null"],
            "pattern": ID_SYNTAX,
        },
        FieldInfo("d", "x", kind=FieldKind.DATE): {"type": ["string", "null"], "format": "date"},
        FieldInfo("q", "x", kind=FieldKind.INTEGER): {"type": ["integer", "null"]},
        FieldInfo("a", "x", kind=FieldKind.DECIMAL): {"type": ["number", "null"]},
        FieldInfo("b", "x", kind=FieldKind.BOOLEAN): {"type": "boolean"},
        FieldInfo("t", "x", kind=FieldKind.MULTI_REFERENCE): {"type": ["array", "null"]},
        FieldInfo("p", "x", kind=FieldKind.PICKLIST, choices=("a", "b")): {"enum": ["a", "b", None]},
        FieldInfo("r", "x", kind=FieldKind.REFERENCE, pattern=ID_SYNTAX): {
            "type": ["string", "integer", "null"],
            "pattern": ID_SYNTAX,
        },
    }
    for info, expected in cases.items():
        assert field_schema(info, nullable=True) == expected, info.name
    # the native type name means nothing to the engine: a "picklist"-named string field is a string
    assert field_schema(FieldInfo("s", "picklist", kind=FieldKind.STRING), nullable=False) == {
        "type": "string"
    }
    other = field_schema(FieldInfo("blob", "base64", kind=FieldKind.OTHER), nullable=True)
    assert "type" not in other and "base64" in other["description"]


def test_a_draft_for_a_mapping_is_a_valid_schema_with_required_fields() -> None:
    mapping = parse_mapping(
        "version: 1\nname: s\nsource: {system: odoo, object: res.partner}\n"
        "target: {system: salesforce, object: Account, match: Id, mode: upsert}\n"
        "fields: {Id: ref, Name: name, Extra: comment}\n",
        "s.yaml",
    )
    info = ObjectInfo(
        "Account",
        "Account",
        {
            "Id": FieldInfo("Id", "id", kind=FieldKind.ID, pattern=ID_SYNTAX),
            "Name": FieldInfo("Name", "string", kind=FieldKind.STRING, required=True, length=255),
        },
    )
    schema = draft_schema(mapping, info)
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["Id", "Name"]
    assert schema["properties"]["Id"] == {"type": "string", "pattern": ID_SYNTAX}
    assert "not described" in schema["properties"]["Extra"]["description"]

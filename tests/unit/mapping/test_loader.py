"""Loading: every problem reported at once, each at its exact file:line:column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from officebridge.cli import main
from officebridge.connector import FieldInfo, ObjectInfo, manifests
from officebridge.errors import MappingError, Problem
from officebridge.mapping import load_mapping, load_mappings
from officebridge.mapping.schema import SCHEMA_NAME, load_schema
from officebridge.mapping.schemabuild import render_schema

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[3]

HEAD = """\
version: 1
source: {system: salesforce, object: Account}
target: {system: odoo, object: res.partner, match: ref}
"""

ACCOUNT = ObjectInfo(
    name="Account",
    label="Account",
    fields={
        name: FieldInfo(name=name, type=kind)
        for name, kind in [
            ("Id", "id"),
            ("Name", "string"),
            ("Email", "email"),
            ("Phone", "phone"),
            ("Type", "picklist"),
            ("SystemModstamp", "datetime"),
        ]
    },
)
PARTNER = ObjectInfo(
    name="res.partner",
    label="Contact",
    fields={
        "ref": FieldInfo("ref", "char"),
        "name": FieldInfo("name", "char", required=True),
        "email": FieldInfo("email", "char"),
        "display_name": FieldInfo("display_name", "char", readonly=True),
        "country_id": FieldInfo("country_id", "many2one", reference_to=("res.country",)),
    },
)
COUNTRY = ObjectInfo(
    "res.country", "Country", {"name": FieldInfo("name", "char"), "code": FieldInfo("code", "char")}
)


def describe(system: str, connection: str, obj: str) -> ObjectInfo | None:
    return {"Account": ACCOUNT, "res.partner": PARTNER, "res.country": COUNTRY}.get(obj)


def problems(tmp_path: Path, text: str, name: str = "m.yaml", **kw: object) -> list[Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path, **kw)  # type: ignore[arg-type]
    return info.value.problems


def where(p: Problem) -> tuple[int | None, int | None, str]:
    return (p.line, p.column, p.path)


def test_the_example_loads_into_typed_spec() -> None:
    m = load_mapping(DATA / "salesforce_account_to_odoo.yaml")
    assert m.name == "salesforce_account_to_odoo"
    assert (m.owner, m.tags, m.schedule) == ("sales-ops", ("crm", "erp"), "@hourly")
    assert (m.source.system, m.source.object, m.source.cursor, m.source.deletes) == (
        "salesforce", "Account", "SystemModstamp", True,
    )  # fmt: skip
    assert m.source.filter == "Type != 'Other'"
    assert (m.target.match, m.target.mode, m.target.on_delete, m.target.batch_size) == (
        "ref",
        "upsert",
        "archive",
        200,
    )
    assert [f.target for f in m.fields][:3] == ["name", "ref", "is_company"]
    email = m.field_rule("email")
    assert email is not None and email.has_default and email.default is None
    assert [t.name for t in email.transforms] == ["strip", "lower"]
    assert m.sensitive == {"email", "phone"}
    assert m.raw["version"] == 1


def test_name_defaults_to_file_stem_and_connection_to_system_default(tmp_path: Path) -> None:
    (tmp_path / "my_sync.yaml").write_text(HEAD + "fields:\n  ref: Id\n")
    m = load_mapping(tmp_path / "my_sync.yaml")
    assert (m.name, m.source.connection, m.target.connection) == (
        "my_sync",
        "salesforce_default",
        "odoo_default",
    )


def test_bad_yaml_reports_line_and_column(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "fields:\n  ref: [Id\n  name: Name\n")
    assert p.file == str(tmp_path / "m.yaml")
    assert (p.line, p.column) == (6, 7)
    assert p.message.startswith("YAML syntax error")


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "fields:\n  ref: Id\n  name: {copy: Name, trasforms: [strip]}\n")
    assert where(p) == (6, 22, "fields.name.trasforms")
    assert p.message == "unknown key 'trasforms' in fields.name; did you mean 'transforms'?"
    assert str(p).endswith("m.yaml:6:22: [fields.name.trasforms] " + p.message)


def test_misspelt_required_key_reports_only_the_misspelling(tmp_path: Path) -> None:
    text = (
        "version: 1\nsource: {system: salesforce, objct: Account}\n"
        + HEAD.split("\n", 2)[2]
        + "fields: {ref: Id}\n"
    )
    [p] = problems(tmp_path, text)
    assert where(p) == (2, 30, "source.objct")
    assert "did you mean 'object'" in p.message


def test_wrong_type(tmp_path: Path) -> None:
    [p] = problems(
        tmp_path, HEAD.replace("match: ref}", "match: ref, batch_size: many}") + "fields: {ref: Id}\n"
    )
    assert where(p) == (3, 69, "target.batch_size")
    assert p.message == "target.batch_size must be a whole number, not text"


def test_bad_enum_value_with_did_you_mean(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD.replace("match: ref}", "match: ref, mode: upsrt}") + "fields: {ref: Id}\n")
    assert where(p) == (3, 63, "target.mode")
    assert "did you mean 'upsert'?" in p.message


def test_unknown_transform(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "fields:\n  ref: Id\n  email: {copy: Email, transforms: [strip, lowr]}\n")
    assert where(p) == (6, 44, "fields.email.transforms[1]")
    assert p.message == "unknown transform 'lowr'; did you mean 'lower'?"


def test_bad_transform_parameter_points_at_the_parameter(tmp_path: Path) -> None:
    text = (
        HEAD + "fields:\n  ref: Id\n  phone:\n    copy: Phone\n    transforms:\n      - phone: {regin: US}\n"
    )
    [p] = problems(tmp_path, text)
    assert where(p) == (9, 17, "fields.phone.transforms[0].phone.regin")
    assert "did you mean 'region'?" in p.message


def test_bad_expression_points_inside_the_expression(tmp_path: Path) -> None:
    [p] = problems(
        tmp_path, HEAD + "fields:\n  ref: Id\n  rank: {expr: \"1 if Type == 'x' else Name.upper()\"}\n"
    )
    # the quote opens at column 16; `Name` is character 23 of the expression
    assert where(p) == (6, 39, "fields.rank.expr")
    assert "attribute access" in p.message


def test_escape_attempt_in_where_is_a_load_error(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "where: __import__('os').system('true')\nfields: {ref: Id}\n")
    assert where(p)[2] == "where"
    assert p.line == 4


def test_unknown_source_field_with_describe(tmp_path: Path) -> None:
    text = (
        HEAD
        + "fields:\n  ref: Id\n  email: {copy: Emial}\n  name: Nmae\n"
        + "  country_id: {lookup: {object: res.country, field: nam, from: Name}}\n"
    )
    found = problems(tmp_path, text, describe=describe)
    assert [(p.line, p.column, p.path, p.message) for p in found] == [
        (6, 17, "fields.email.copy", "unknown field 'Emial' on Salesforce Account; did you mean 'Email'?"),
        (7, 9, "fields.name.copy", "unknown field 'Nmae' on Salesforce Account; did you mean 'Name'?"),
        (
            8,
            53,
            "fields.country_id.lookup.field",
            "unknown field 'nam' on Odoo res.country; did you mean 'name'?",
        ),
    ]


def test_unknown_field_in_expression_points_at_the_name(tmp_path: Path) -> None:
    [p] = problems(
        tmp_path, HEAD + "fields:\n  ref: Id\n  name: {expr: \"concat(Name, ' ', Typ)\"}\n", describe=describe
    )
    assert where(p) == (6, 35, "fields.name.expr")
    assert p.message == "unknown field 'Typ' on Salesforce Account; did you mean 'Type'?"


def test_unknown_and_readonly_target_fields(tmp_path: Path) -> None:
    text = HEAD + "fields:\n  ref: Id\n  emial: Email\n  display_name: Name\n"
    found = problems(tmp_path, text, describe=describe)
    assert [(p.line, p.column, p.message) for p in found] == [
        (6, 3, "unknown field 'emial' on Odoo res.partner; did you mean 'email'?"),
        (7, 3, "field 'display_name' on Odoo res.partner is read-only and cannot be written"),
    ]


def test_describe_returning_none_skips_the_name_checks(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(HEAD + "fields:\n  ref: Whatever\n")
    assert load_mapping(tmp_path / "ok.yaml", describe=lambda s, c, o: None).fields[0].copy == "Whatever"


def test_match_must_be_mapped_and_link_sync_must_be_a_name(tmp_path: Path) -> None:
    text = HEAD + "fields:\n  name: Name\n  parent_id: {link: {sync: Other-Sync, from: ParentId}}\n"
    found = problems(tmp_path, text)
    assert [(p.path, p.message) for p in found] == [
        (
            "fields.parent_id.link.sync",
            "fields.parent_id.link.sync must use only lower-case letters, digits and _ (got 'Other-Sync')",
        ),
        ("target.match", "target.match 'ref' is not one of the mapped fields; add it to `fields`"),
    ]


def test_field_rule_needs_exactly_one_source_of_value(tmp_path: Path) -> None:
    text = HEAD + "fields:\n  ref: Id\n  a: {copy: X, expr: Y}\n  b: {transforms: [strip]}\n"
    found = problems(tmp_path, text)
    assert [(p.line, p.message) for p in found] == [
        (6, "field 'a' has copy and expr; give exactly one source of value"),
        (7, "field 'b' needs one source of value: copy, constant, expr, lookup, link"),
    ]


def test_several_problems_at_once_best_first(tmp_path: Path) -> None:
    text = (
        "version: 1\n"
        "source: {system: salesforce, object: Account}\n"
        "target: {system: odoo, object: res.partner, match: ref, mode: upsrt}\n"
        "schedul: '@hourly'\n"
        "fields:\n"
        "  ref: Id\n"
        "  email: {copy: Emial, transforms: [lowr]}\n"
        "  rank: {expr: 'Type.lower()'}\n"
        "  name: {copy: Name, transforms: [{datetime: {to: odoo, assume: Mars/Base}}]}\n"
    )
    found = problems(tmp_path, text, describe=describe)
    assert [(p.line, p.path) for p in found] == [
        (3, "target.mode"),
        (4, "schedul"),
        (7, "fields.email.transforms[0]"),
        (8, "fields.rank.expr"),
        (9, "fields.name.transforms[0].datetime.assume"),
        (7, "fields.email.copy"),
    ]
    assert "did you mean 'schedule'?" in found[1].message


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "fields:\n  ref: Id\n  ref: Name\n")
    assert where(p) == (6, 3, "fields.ref")
    assert "appears twice" in p.message


def test_bad_file_name_needs_a_name(tmp_path: Path) -> None:
    [p] = problems(tmp_path, HEAD + "fields: {ref: Id}\n", name="Bad-Name.yaml")
    assert "not a valid sync name" in p.message


def test_load_mappings_reports_every_file_and_duplicate_names(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: same\n" + HEAD + "fields: {ref: Id}\n")
    (tmp_path / "b.yaml").write_text("name: same\n" + HEAD + "fields: {ref: Id}\n")
    (tmp_path / "c.yaml").write_text(HEAD + "fields: {ref: Id, x: {expr: '1 +'}}\n")
    with pytest.raises(MappingError) as info:
        load_mappings(sorted(tmp_path.glob("*.yaml")))
    messages = [str(p) for p in info.value.problems]
    assert any("c.yaml:4:" in m and "invalid expression" in m for m in messages)
    assert any("b.yaml" in m and "also used by" in m for m in messages)


def test_schema_is_valid_draft_2020_12_and_documents_every_property() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)

    def walk(node: object, path: str) -> None:
        if path == ".$defs.source.allOf":
            return  # each system's own rules, copied from its connector's manifest
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                assert "description" in sub or "$ref" in sub, f"{path}.{key} has no description"
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema, "")


def test_the_committed_schema_is_what_the_command_generates() -> None:
    """schemas/mapping.schema.json is `officebridge schema mapping` for the installed connectors.

    When this fails after adding or changing a connector, regenerate it:
    `officebridge schema mapping -o schemas/mapping.schema.json`.
    """
    result = CliRunner().invoke(main, ["schema", "mapping"])
    assert result.exit_code == 0, result.output
    committed = (REPO / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")
    assert result.output == committed == render_schema()
    assert json.loads(committed) == load_schema()


def test_the_schema_names_the_installed_systems_and_their_rules() -> None:
    schema = load_schema()
    systems = sorted(manifests())
    assert schema["$defs"]["system"]["enum"] == systems
    assert schema["$defs"]["datetimeStyle"]["enum"] == ["iso", *systems]
    rules = {r["if"]["properties"]["system"]["const"]: r["then"] for r in schema["$defs"]["source"]["allOf"]}
    for name, found in manifests().items():
        caps = found.capabilities
        per_object = [f for fields in caps.object_cursor_fields.values() for f in fields]
        every = list(dict.fromkeys([*caps.cursor_fields, *per_object]))
        assert rules[name]["properties"]["cursor"]["enum"] == every
        declared = {"type": "null"} if caps.filter_schema is None else dict(caps.filter_schema)
        built = rules[name]["properties"]["filter"]
        built = {k: v for k, v in built.items() if k not in ("description", "$id")}
        assert built == {k: v for k, v in json.loads(json.dumps(declared)).items() if k != "description"}
    template = (REPO / "officebridge" / "mapping" / "mapping.template.json").read_text().lower()
    assert not any(name in template for name in systems)  # the template keeps no system's name


def test_validate_prints_each_problem_with_its_path_in_brackets(tmp_path: Path) -> None:
    """The documented form `file:line:column: [path] message`: the path must survive the terminal's markup."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: bad\nsource: {system: memory, object: account}\n"
        "target: {system: memory, object: account, match: ref}\n"
        "fields:\n  ref: {copy: id, trasforms: [strip]}\n"
    )
    result = CliRunner().invoke(main, ["validate", str(bad), "--offline"])
    assert result.exit_code == 1
    assert f"{bad}:6:19: [fields.ref.trasforms] unknown key 'trasforms'" in result.output

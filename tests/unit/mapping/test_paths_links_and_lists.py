"""Dotted source paths, links from either side and list lookups: parsed and checked at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo
from officebridge.errors import MappingError
from officebridge.mapping import compile_mapping, load_mapping
from officebridge.mapping.checks import UnknownObjectError

ODOO_TO_SF = """\
version: 1
source: {system: odoo, object: res.partner}
target: {system: salesforce, object: Account, match: External_Id__c}
fields:
  External_Id__c: {expr: "str(id)"}
"""
SF_TO_ODOO = """\
version: 1
source: {system: salesforce, object: Contact}
target: {system: odoo, object: res.partner, match: ref}
fields:
  ref: Id
"""


def _info(name: str, *fields: FieldInfo) -> ObjectInfo:
    return ObjectInfo(name=name, label=name, fields={f.name: f for f in fields})


def _ref(name: str, to: str, kind: FieldKind = FieldKind.REFERENCE) -> FieldInfo:
    return FieldInfo(
        name, "many2one" if kind is FieldKind.REFERENCE else "many2many", kind, reference_to=(to,)
    )


def _text(name: str) -> FieldInfo:
    return FieldInfo(name, "char", FieldKind.STRING)


OBJECTS = {
    "res.partner": _info(
        "res.partner",
        FieldInfo("id", "integer", FieldKind.ID),
        _text("name"),
        _text("ref"),
        _ref("industry_id", "res.partner.industry"),
        _ref("parent_id", "res.partner"),
        _ref("category_id", "res.partner.category", FieldKind.MULTI_REFERENCE),
    ),
    "res.partner.industry": _info("res.partner.industry", _text("name"), _text("full_name")),
    "res.partner.category": _info("res.partner.category", _text("name")),
    "Account": _info(
        "Account", _text("Name"), _text("External_Id__c"), _text("Industry"), _text("Description")
    ),
    "Contact": _info(
        "Contact",
        FieldInfo("Id", "id", FieldKind.ID),
        _text("Type__c"),
        FieldInfo(
            "AccountId", "reference", FieldKind.REFERENCE, reference_to=("Account",), relationship="Account"
        ),
    ),
}


def describe(system: str, connection: str, obj: str) -> ObjectInfo | None:
    if obj not in OBJECTS:
        raise UnknownObjectError(system, obj)
    return OBJECTS[obj]


def _load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path, describe=describe, syncs=frozenset({"accounts"}))
    return [str(p) for p in caught.value.problems]


def test_dotted_paths_are_read_through_reference_fields(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        ODOO_TO_SF + "  Industry: industry_id.name\n  Description: parent_id.industry_id.full_name\n"
    )
    mapping = load_mapping(path, describe=describe)
    assert set(compile_mapping(mapping).source_fields) >= {
        "industry_id.name",
        "parent_id.industry_id.full_name",
    }
    assert compile_mapping(mapping).map({"id": 3, "industry_id.name": "Retail"})["Industry"] == "Retail"
    sf = tmp_path / "sf.yaml"
    sf.write_text(SF_TO_ODOO + "  name: Account.Name\n")  # Salesforce's relationship name of AccountId
    load_mapping(sf, describe=describe)


def test_a_misspelt_or_impossible_path_is_a_problem_at_its_line(tmp_path: Path) -> None:
    problems = _load(tmp_path, ODOO_TO_SF + "  Industry: industry_id.nmae\n  Description: name.first\n")
    [typo] = [p for p in problems if "nmae" in p]
    assert (
        ":6:" in typo and "unknown field 'nmae' on Odoo res.partner.industry (in 'industry_id.nmae')" in typo
    )
    assert "did you mean 'name'?" in typo
    [flat] = [p for p in problems if "name.first" in p]
    assert ":7:" in flat and "'name' in 'name.first' is not a reference field of Odoo res.partner" in flat


def test_link_side_is_parsed_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(SF_TO_ODOO + "  parent_id: {link: {sync: accounts, from: AccountId, side: target}}\n")
    mapping = load_mapping(path, syncs=frozenset({"accounts"}))
    rule = mapping.field_rule("parent_id")
    assert rule is not None and rule.link is not None and rule.link.side == "target"
    [ref] = compile_mapping(mapping).lookups
    assert (ref.via, ref.sync, ref.side) == ("link", "accounts", "target")
    default = tmp_path / "default.yaml"
    default.write_text(SF_TO_ODOO + "  parent_id: {link: {sync: accounts, from: AccountId}}\n")
    assert compile_mapping(load_mapping(default)).lookups[0].side == "source"
    [bad] = _load(
        tmp_path, SF_TO_ODOO + "  parent_id: {link: {sync: accounts, from: AccountId, side: targte}}\n"
    )
    assert ":6:61:" in bad and "must be source, target (got 'targte'); did you mean 'target'?" in bad
    [gone] = _load(
        tmp_path, SF_TO_ODOO + "  parent_id: {link: {sync: acounts, from: AccountId, side: target}}\n"
    )
    assert (
        ":6:28:" in gone
        and "names sync 'acounts', which no mapping file defines; did you mean 'accounts'?" in gone
    )


def test_a_many2many_takes_a_lookup_whose_key_may_be_a_list(tmp_path: Path) -> None:
    tags = "  category_id: {lookup: {object: res.partner.category, field: name, from: %s}}\n"
    for key in ("{expr: \"[Type__c, 'VIP']\"}", "Account.Name"):
        path = tmp_path / "ok.yaml"
        path.write_text(SF_TO_ODOO + tags % key)
        load_mapping(path, describe=describe)
    [one] = _load(tmp_path, SF_TO_ODOO + tags % "Type__c")  # one plain value: one id, not several
    assert ":6:" in one and "holds several records (many2many); a lookup of one value gives one id" in one

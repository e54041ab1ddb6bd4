"""The compiled mapping: every field form, value maps, where, defaults, record errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from officebridge.errors import RecordError
from officebridge.mapping import LookupRef, compile_mapping, load_mapping, parse_mapping

DATA = Path(__file__).parent / "data"

HEAD = """\
version: 1
name: t
source: {system: salesforce, object: Account}
target: {system: odoo, object: res.partner, match: ref}
"""


def compiled(body: str) -> Any:
    return compile_mapping(parse_mapping(HEAD + body, "t.yaml"))


RECORD = {
    "Name": "Acme",
    "Id": "001000000000001AAA",
    "Email__c": "  Sales@Acme.COM ",
    "Phone": "(415) 555-0100",
    "Website": " acme.example ",
    "Type": "Customer - Direct",
    "Industry": "Banking",
    "BillingCountry": "United States",
    "ParentId": "001000000000002AAA",
    "CreatedDate": "2026-01-02T03:04:05.000+0100",
}


def test_example_mapping_end_to_end() -> None:
    c = compile_mapping(load_mapping(DATA / "salesforce_account_to_odoo.yaml"))
    assert c.map(RECORD) == {
        "name": "Acme",
        "ref": "001000000000001AAA",
        "is_company": True,
        "email": "sales@acme.com",
        "phone": "+14155550100",
        "website": "acme.example",
        "customer_rank": 1,
        "industry_label": "finance",
        "country_id": "United States",
        "parent_id": "001000000000002AAA",
        "opened_on": "2026-01-02 02:04:05",
    }
    assert c.name == "salesforce_account_to_odoo"
    assert c.match_field == "ref"
    assert c.sensitive == {"email", "phone"}
    assert c.source_fields == (
        "Name", "Id", "Email__c", "Phone", "Website", "Type", "Industry",
        "BillingCountry", "ParentId", "CreatedDate",
    )  # fmt: skip
    assert c.lookups == (
        LookupRef("country_id", "target", "res.country", "name", None, "null"),
        LookupRef("parent_id", "link", None, None, "salesforce_account_to_odoo", "error"),
    )


def test_where_filters_records_out() -> None:
    c = compile_mapping(load_mapping(DATA / "salesforce_account_to_odoo.yaml"))
    assert c.map({**RECORD, "Name": "TEST account"}) is None
    assert c.map({**RECORD, "Name": None}) is None


def test_field_order_is_kept() -> None:
    c = compiled("fields:\n  z: A\n  ref: B\n  a: C\n")
    assert list(c.map({"A": 1, "B": 2, "C": 3})) == ["z", "ref", "a"]


def test_constant_of_any_type_and_missing_source_field() -> None:
    c = compiled("fields:\n  ref: Id\n  tags: {constant: [1, 2]}\n  n: {constant: 1.5}\n  x: Absent\n")
    assert c.map({"Id": "1"}) == {"ref": "1", "tags": [1, 2], "n": 1.5, "x": None}


def test_expression_key_for_lookup_and_link() -> None:
    c = compiled(
        "fields:\n  ref: Id\n"
        "  country_id: {lookup: {object: res.country, field: code, from: {expr: 'upper(Country)'}}}\n"
        "  parent_id: {link: {sync: other_sync, from: {expr: 'coalesce(ParentId, MasterId)'}},"
        " missing: null}\n"
    )
    assert c.map({"Id": "1", "Country": "fr", "ParentId": None, "MasterId": "9"}) == {
        "ref": "1", "country_id": "FR", "parent_id": "9",
    }  # fmt: skip
    assert c.source_fields == ("Id", "Country", "ParentId", "MasterId")
    assert c.lookups[1].missing == "null"


@pytest.mark.parametrize(
    ("policy", "value", "expected"),
    [
        ("keep", "Retail", "Retail"),
        ("null", "Retail", None),
        ("keep", "Technology", "tech"),
        ("error", None, None),
    ],
)
def test_value_map_policies(policy: str, value: Any, expected: Any) -> None:
    c = compiled(
        f"fields:\n  ref: Id\n  ind: {{copy: Industry, map: {{Technology: tech}}, unmapped: {policy}}}\n"
    )
    assert c.map({"Id": "1", "Industry": value})["ind"] == expected


def test_value_map_error_policy_raises_record_error() -> None:
    c = compiled("fields:\n  ref: Id\n  ind: {copy: Industry, map: {Technology: tech}, unmapped: error}\n")
    with pytest.raises(RecordError) as info:
        c.map({"Id": "1", "Industry": "Retail"})
    err = info.value
    assert (err.stage, err.field, err.code) == ("map", "ind", "UNMAPPED")
    assert str(err) == "field 'ind': value 'Retail' has no entry in the value map"


def test_value_map_keys_follow_yaml_1_2_booleans() -> None:
    c = compiled("fields:\n  ref: Id\n  ok: {copy: Flag, map: {Yes: 1, No: 0, true: 2}}\n")
    assert [c.map({"Id": "1", "Flag": f})["ok"] for f in ("Yes", "No", True)] == [1, 0, 2]


def test_default_applies_after_transforms_and_map() -> None:
    c = compiled("fields:\n  ref: Id\n  city: {copy: City, transforms: [strip], default: Unknown}\n")
    assert c.map({"Id": "1", "City": "   "})["city"] == "Unknown"
    assert c.map({"Id": "1", "City": " Oslo "})["city"] == "Oslo"


def test_required_empty_value_is_a_record_error() -> None:
    c = compiled("fields:\n  ref: {copy: Id, required: true}\n")
    with pytest.raises(RecordError) as info:
        c.map({"Id": ""})
    assert (info.value.field, info.value.code) == ("ref", "REQUIRED")


def test_sensitive_values_are_masked_in_record_errors() -> None:
    c = compile_mapping(load_mapping(DATA / "salesforce_account_to_odoo.yaml"))
    with pytest.raises(RecordError) as info:
        c.map({**RECORD, "Phone": "555-NOPE-12"})
    assert (info.value.stage, info.value.field, info.value.code) == ("map", "phone", "INVALID_PHONE")
    assert "555" not in str(info.value)
    assert str(info.value) == "field 'phone': value '***' is not a valid phone number"


def test_unmasked_bad_value_is_named() -> None:
    c = compile_mapping(load_mapping(DATA / "salesforce_account_to_odoo.yaml"))
    with pytest.raises(RecordError) as info:
        c.map({**RECORD, "CreatedDate": "yesterday"})
    assert str(info.value) == "field 'opened_on': value 'yesterday' is not a datetime"


def test_expression_failing_on_a_record_is_a_record_error() -> None:
    c = compiled("fields:\n  ref: Id\n  big: {expr: 'Amount > 100'}\n")
    with pytest.raises(RecordError) as info:
        c.map({"Id": "1", "Amount": None})
    assert info.value.field == "big"
    assert info.value.code == "EXPRESSION_FAILED"
    assert "'Amount > 100'" in str(info.value)


def test_where_failing_on_a_record_is_a_record_error() -> None:
    c = compiled("where: Amount > 100\nfields:\n  ref: Id\n")
    with pytest.raises(RecordError) as info:
        c.map({"Id": "1", "Amount": "x"})
    assert info.value.code == "WHERE_FAILED"


def test_generated_function_has_no_builtins() -> None:
    c = compiled("fields:\n  ref: Id\n")
    assert c.map.__globals__["__builtins__"] == {}
    assert "def _map(record):" in c.source_code


def test_an_iso_date_gives_what_the_date_converter_gives() -> None:
    m = compiled("fields:\n  ref: Id\n  day: {copy: Birthdate, transforms: [date]}\n")
    from datetime import date  # noqa: PLC0415

    given = (" 1980-12-10 ", None, "", date(2026, 1, 31))
    days = [m.map({"Id": "1", "Birthdate": v})["day"] for v in given]
    assert days == ["1980-12-10", None, None, "2026-01-31"]
    with pytest.raises(RecordError, match=r"day.*is not a date"):
        m.map({"Id": "1", "Birthdate": "10/12/1980"})

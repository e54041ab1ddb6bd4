"""What a two-way file may not say: each refusal names the place in the file, with line and column."""

from __future__ import annotations

import pytest

from officebridge.errors import MappingError
from officebridge.pair.loader import load_pair, parse_pair
from tests.unit.pair.conftest import PAIR

SHIPPED = "mappings/pairs/salesforce_account_odoo_company.yaml"


def refused(text: str) -> str:
    with pytest.raises(MappingError) as caught:
        parse_pair(text, "pair.yaml")
    return str(caught.value)


def with_field(body: str) -> str:
    return PAIR.replace("  employees: {a: employees, b: employees, owner: a}\n", f"  employees: {body}\n")


def test_the_shipped_pair_loads_with_its_owners_and_one_way_extras() -> None:
    pair = load_pair(SHIPPED)
    policies = {f.name: f.conflict for f in pair.fields}
    assert policies == {"name": "newest_wins", "street": "b_wins", "city": "b_wins", "zip": "b_wins",
                        "phone": "a_wins", "website": "a_wins", "notes": "manual"}  # fmt: skip
    assert [r.target for r in pair.a_to_b.fields][-2:] == ["ref", "is_company"]
    assert [r.target for r in pair.b_to_a.fields][-2:] == ["External_Id__c", "BillingCountry"]
    assert (pair.a.match, pair.b.match, pair.adopt_links) == (
        "External_Id__c",
        "ref",
        ("salesforce_account_to_odoo",),
    )
    assert pair.a_to_b.owner == "sales-ops" and "two-way" in pair.b_to_a.tags


def test_a_transform_on_a_two_way_field_is_refused_where_it_is_written() -> None:
    message = refused(with_field("{a: employees, b: employees, transforms: [strip]}"))
    assert "pair.yaml:12:43: [fields.employees.transforms]" in message and "does not round-trip" in message


def test_a_map_that_sends_two_values_to_one_is_refused_on_a_two_way_field_only() -> None:
    message = refused(with_field("{a: employees, b: employees, map: {1: small, 2: small}}"))
    assert "[fields.employees.map.2]" in message and "the way back is ambiguous" in message
    one_way = parse_pair(
        with_field("{a: employees, b: employees, direction: a_to_b, map: {1: small, 2: small}}")
    )
    assert [r.value_map for r in one_way.a_to_b.fields if r.target == "employees"] == [
        ((1, "small"), (2, "small"))
    ]


def test_a_side_that_creates_records_needs_a_match_field() -> None:
    text = PAIR.replace(
        "      match: external_ref, on_delete: archive}\nfields", "      on_delete: archive}\nfields"
    )
    text = text.replace("b_to_a:\n  external_ref: id\n", "")
    assert "side b creates records (create: true) but has no `match` field" in refused(text)


def test_a_bad_transform_on_a_one_way_field_is_reported_not_dropped() -> None:
    message = refused(with_field("{a: employees, b: employees, direction: a_to_b, transforms: [stirp]}"))
    assert "[fields.employees.transforms[0]] unknown transform 'stirp'" in message


def test_newest_wins_needs_a_change_stamp_on_both_sides() -> None:
    side_a = "object: account, cursor: updated_at, deletes: true,"
    text = PAIR.replace(side_a, "object: account, deletes: true,", 1)
    message = refused(text)
    assert "[fields.name.conflict]" in message and "side a has no `cursor`" in message


def test_an_owner_that_never_sends_the_field_is_refused() -> None:
    message = refused(with_field("{a: employees, b: employees, direction: a_to_b, owner: b}"))
    assert "[fields.employees.owner]" in message and "side b never sends it" in message

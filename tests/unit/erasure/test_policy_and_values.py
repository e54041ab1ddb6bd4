"""The `erasure:` block as analysts write it (problems with line and column), and how values are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from officebridge.erasure.values import PersonalValues
from officebridge.errors import MappingError
from officebridge.mapping.loader import parse_mapping

BASE = (Path(__file__).resolve().parents[3] / "mappings" / "salesforce_contact_to_odoo.yaml").read_text()
BASE = BASE[: BASE.index("erasure:")]


def problems(block: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(BASE + block, "m.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_policy_loads() -> None:
    block = (
        "erasure:\n  identify: Email\n  source: {anonymise: {Email: null, LastName: x}}\n  target: delete\n"
    )
    policy = parse_mapping(BASE + block, "m.yaml").erasure
    assert policy is not None and policy.identify == "Email"
    assert (policy.source.action, dict(policy.source.values)) == (
        "anonymise",
        {"Email": None, "LastName": "x"},
    )
    assert policy.target.action == "delete"


def test_misspelt_action_is_named_with_its_position() -> None:
    line = BASE.count("\n") + 3
    found = problems("erasure:\n  identify: Email\n  source: delet\n  target: keep\n")
    assert found == [
        f"m.yaml:{line}:11: [erasure.source] erasure.source must be delete, keep or "
        "{anonymise: {field: value}} (got 'delet'); did you mean 'delete'?"
    ]


def test_bare_anonymise_asks_for_values_and_missing_keys_are_reported() -> None:
    found = problems("erasure:\n  source: anonymise\n  target: {anonymse: {email: null}}\n")
    assert any("anonymise needs the values to write" in p for p in found)
    assert any("missing the required key 'identify'" in p for p in found)
    assert any("unknown key 'anonymse' in erasure.target; did you mean 'anonymise'?" in p for p in found)


def test_values_are_found_in_every_spelling_but_not_ids_or_constants() -> None:
    values = PersonalValues(ids={"0031"})
    values.shared.add("contact")
    for v in ("Ada Lovelace", "ada@example.org", "0031", "contact", "Al"):
        values.add(v)
    assert values.texts == {"Ada Lovelace", "ada@example.org"}
    text = 'name "Ada Lovelace" url ?q=ada%40example.org ADA@EXAMPLE.ORG id 0031 contact'
    scrubbed, n = values.scrub_text(text)
    assert n == 3 and "0031" in scrubbed and "contact" in scrubbed and "ada" not in scrubbed.lower()
    data, m = values.scrub_json({"Ada Lovelace": ["x ada@example.org", 3]})
    assert (data, m) == ({"[erased]": ["x [erased]", 3]}, 2)

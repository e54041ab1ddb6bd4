"""Hostile files are refused cleanly, YAML errors speak plain words, and the checks validate adds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo
from officebridge.errors import MappingError
from officebridge.mapping import load_mapping
from officebridge.mapping.checks import UnknownObjectError
from officebridge.mapping.loader import sync_names

HEAD = """\
version: 1
source: {system: salesforce, object: Account}
target: {system: odoo, object: res.partner, match: ref}
"""


def _problems(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def _file(tmp_path: Path, text: str | bytes, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_an_alias_bomb_is_refused_quickly_with_the_file_name(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{','.join([f'*{prev}'] * 9)}]")
    path = _file(tmp_path, "\n".join(lines) + "\n")
    started = time.perf_counter()
    [problem] = _problems(path)
    assert time.perf_counter() - started < 2
    assert problem.startswith(f"{path}:") and "aliases" in problem


def test_a_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(HEAD.encode())
        handle.truncate(50_000_000)
    [problem] = _problems(path)
    assert str(path) in problem and "50.0 MB" in problem


def test_non_utf8_bytes_are_refused_with_their_line(tmp_path: Path) -> None:
    path = _file(tmp_path, HEAD.encode() + b"description: caf\xe9\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:4:") and "UTF-8" in problem


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    [problem] = _problems(_file(tmp_path, HEAD + "x: " + "[" * 200 + "]" * 200 + "\n"))
    assert "nested more than" in problem


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (HEAD + "fields:\n  ref: Id\n   name: Name\n", "check the indentation"),
        (HEAD + "description: Accounts: the big ones\n", "quote the value"),
        (HEAD + "fields:\n\tref: Id\n", "indents with spaces"),
        (HEAD + "fields:\n  ref: *Id\n", "quote this value"),
        (HEAD + "fields:\n  ref: @Id\n", "quote this value"),
    ],
)
def test_yaml_syntax_errors_say_what_to_do(tmp_path: Path, text: str, words: str) -> None:
    [problem] = _problems(_file(tmp_path, text))
    assert words in problem and "YAML syntax error" in problem


def test_a_misspelt_link_sync_is_a_mapping_error_with_a_did_you_mean(tmp_path: Path) -> None:
    _file(tmp_path, "name: accounts\n" + HEAD + "fields:\n  ref: Id\n", "accounts.yaml")
    contacts = _file(
        tmp_path,
        "name: contacts\n"
        + HEAD
        + "fields:\n  ref: Id\n  parent_id:\n    link: {sync: acounts, from: AccountId}\n",
        "contacts.yaml",
    )
    assert sync_names(tmp_path) == {"accounts", "contacts"}
    [problem] = _problems(contacts, syncs=sync_names(tmp_path))
    assert (
        problem.startswith(f"{contacts}:8:18:")
        and "'acounts'" in problem
        and "did you mean 'accounts'" in problem
    )
    load_mapping(contacts)  # without the names of the other syncs, nothing to check against


def _info(name: str, *fields: FieldInfo) -> ObjectInfo:
    return ObjectInfo(name=name, label=name, fields={f.name: f for f in fields})


SF = _info(
    "Account",
    FieldInfo("Id", "id", FieldKind.ID),
    FieldInfo("Name", "string", FieldKind.STRING),
    FieldInfo("Type", "picklist", FieldKind.PICKLIST, choices=("Customer", "Partner", "Other")),
    FieldInfo("SystemModstamp", "datetime", FieldKind.DATETIME),
)
ODOO = _info(
    "res.partner",
    FieldInfo("ref", "char", FieldKind.STRING),
    FieldInfo("is_company", "boolean", FieldKind.BOOLEAN),
    FieldInfo("color", "integer", FieldKind.INTEGER),
    FieldInfo("category_id", "many2many", FieldKind.MULTI_REFERENCE, reference_to=("res.partner.category",)),
    FieldInfo("comment", "text", FieldKind.TEXT),
)
CATEGORY = _info("res.partner.category", FieldInfo("name", "char", FieldKind.STRING))


def describe(system: str, connection: str, obj: str) -> ObjectInfo | None:
    found = {"Account": SF, "res.partner": ODOO, "res.partner.category": CATEGORY}.get(obj)
    if found is None:
        raise UnknownObjectError(
            system, obj, "; did you mean 'res.country'?" if obj == "res.countries" else ""
        )
    return found


def test_types_coverage_and_objects_are_checked_against_the_describe(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        HEAD + "fields:\n"
        "  ref: Id\n"
        "  is_company: {copy: Name}\n"  # text into a boolean
        "  color: Name\n"  # text into an integer
        "  category_id: {lookup: {object: res.partner.category, field: name, from: Type}}\n"  # into many2many
        "  comment:\n"
        "    copy: Type\n"
        "    map: {Customer: c, Partner: p}\n"  # 'Other' is not covered
        "    unmapped: error\n"
        "  title: {lookup: {object: res.countries, field: name, from: Name}}\n",
    )
    problems = _problems(path, describe=describe)
    text = "\n".join(problems)
    assert ":6:" in text and "'Name' is text (string) but 'is_company'" in text
    assert "'color' on Odoo res.partner is integer" in text
    assert "'category_id' on Odoo res.partner holds several records (many2many)" in text
    assert "does not cover 1 value(s) of 'Type': 'Other'" in text
    [unknown] = [p for p in problems if "unknown object" in p]
    assert unknown.startswith(f"{path}:13:") and "did you mean 'res.country'?" in unknown

"""Record schemas and expectations are checked when the mapping loads: file:line, no GX import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from officebridge.errors import MappingError
from officebridge.mapping import load_mapping
from officebridge.quality.records import RecordValidator
from officebridge.quality.spec import quality_of

HEAD = """version: 1
name: quality_probe
source: {system: salesforce, object: Account}
target: {system: odoo, object: res.partner, match: ref}
fields:
  ref: Id
  name: Name
  email: Email
"""


def _write(tmp_path: Path, body: str, schema: object | str | None = None) -> Path:
    if schema is not None:
        text = schema if isinstance(schema, str) else json.dumps(schema, indent=2)
        (tmp_path / "partner.json").write_text(text, encoding="utf-8")
    path = tmp_path / "probe.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return [str(p) for p in caught.value.problems]


def test_a_schema_file_with_bad_json_names_both_files_and_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "record_schema: partner.json\n", '{"type": "object",\n  "properties": {,}}')
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:9:16:")
    assert "partner.json:2:18: not valid JSON" in problem


def test_a_schema_that_is_not_a_valid_schema(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "record_schema: partner.json\n",
        {"type": "object", "properties": {"name": {"type": "strng"}}},
    )
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:9:")
    assert "not a valid JSON Schema 2020-12: at properties/name/type" in problem


def test_a_missing_schema_file_says_where_it_looked(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, "record_schema: schemas/nope.json\n"))
    assert "record_schema file 'schemas/nope.json' not found" in problem
    assert str(tmp_path / "schemas" / "nope.json") in problem and str(tmp_path.parent / "schemas") in problem


def test_schema_rules_that_would_fail_every_record(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "required": ["ref", "vat"],
        "properties": {"ref": {}, "name": {}},
        "additionalProperties": False,
    }
    problems = _problems(_write(tmp_path, "record_schema: partner.json\n", schema))
    assert any("requires 'vat', which this mapping does not write" in p for p in problems)
    assert any(":8:3:" in p and "does not allow field 'email'" in p for p in problems)


def test_unknown_expectations_and_bad_arguments_point_at_their_line(tmp_path: Path) -> None:
    body = """expectations:
  on_failure: quarantine
  checks:
    - expect_column_values_to_not_be_nul: {column: name}
    - expect_column_values_to_match_regex: {column: emial, regx: "@"}
    - expect_table_row_count_to_be_between: {min_value: 1}
"""
    problems = _problems(_write(tmp_path, body))
    assert len(problems) == 3, problems
    assert ":12:7:" in problems[0] and "did you mean 'expect_column_values_to_not_be_null'" in problems[0]
    assert ":13:" in problems[1] and "column 'emial' is not a field this mapping writes" in problems[1]
    assert ":13:" in problems[2] and "has no argument 'regx'; did you mean 'regex'?" in problems[2]


def test_a_wrong_policy_and_a_reserved_argument(tmp_path: Path) -> None:
    body = """expectations:
  on_failure: quarantin
  checks:
    - expect_column_values_to_not_be_null: {column: name, result_format: COMPLETE}
"""
    problems = _problems(_write(tmp_path, body))
    assert any(":10:15:" in p and "did you mean 'quarantine'" in p for p in problems)
    assert any(":12:" in p and "'result_format' is set by officebridge" in p for p in problems)


def test_a_good_quality_section_loads_without_importing_great_expectations(tmp_path: Path) -> None:
    body = """record_schema: partner.json
expectations:
  on_failure: warn
  checks:
    - expect_column_values_to_be_unique: {column: ref}
    - expect_column_value_lengths_to_be_between: {column: name, min_value: 1, max_value: 64}
"""
    path = _write(tmp_path, body, {"type": "object", "required": ["ref"]})
    code = (
        "import sys; from officebridge.mapping import load_mapping;"
        "from officebridge.quality.spec import quality_of;"
        f"q = quality_of(load_mapping({str(path)!r})); print(len(q.expectations), q.on_failure,"
        " 'great_expectations' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2", "warn", "False", "False"]
    spec = quality_of(load_mapping(path))
    assert spec is not None and spec.schema_file == str(tmp_path / "partner.json")


def test_a_relative_schema_path_is_also_found_from_the_folder_above(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "p.json").write_text('{"type": "object"}', encoding="utf-8")
    (tmp_path / "mappings").mkdir()
    path = tmp_path / "mappings" / "probe.yaml"
    path.write_text(HEAD + "record_schema: schemas/p.json\n", encoding="utf-8")
    spec = quality_of(load_mapping(path))
    assert spec is not None and spec.schema_file == str(tmp_path / "schemas" / "p.json")


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ref", "name"],
    "properties": {
        "ref": {"type": "string", "pattern": "^001"},
        "name": {"type": "string", "maxLength": 10},
        "email": {"type": ["string", "null"], "format": "email"},
        "rank": {"type": "integer", "minimum": 0},
    },
}


def test_record_messages_name_field_rule_and_value_and_mask_sensitive_values() -> None:
    check = RecordValidator(SCHEMA, sensitive=["email"]).check
    assert check({"ref": "001A", "name": "Acme", "email": None, "rank": 1}) is None
    long = check({"ref": "001A", "name": "Acme Corporation", "rank": 1})
    assert long is not None and (long.field, long.rule) == ("name", "maxLength")
    assert long.message == "field 'name': value 'Acme Corporation' breaks rule maxLength=10"
    several = check({"ref": "002", "name": "Acme", "rank": -1, "email": "jane.doe"})
    assert several is not None and several.count == 3
    assert "field 'ref': value '002' breaks rule pattern='^001'" in several.message
    assert (
        "jane.doe" not in several.message and "field 'email': value *** breaks rule format" in several.message
    )
    missing = check({"ref": "001A"})
    assert missing is not None and missing.message == "field 'name' is required (rule required) but missing"
    assert check({"ref": "001A", "name": "Acme", "rank": True}) is not None  # a boolean is not an integer

"""record_schema never reads outside the project's schema folders, nor binary files, nor remote $refs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from officebridge.errors import ConfigError, MappingError
from officebridge.mapping import load_mapping
from officebridge.quality.records import RecordValidator
from tests.unit.quality.test_quality_config import HEAD


def _problems(path: Path) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return [str(p) for p in caught.value.problems]


def _project(tmp_path: Path, line: str) -> Path:
    (tmp_path / "project" / "mappings").mkdir(parents=True)
    (tmp_path / "project" / "schemas").mkdir()
    path = tmp_path / "project" / "mappings" / "probe.yaml"
    path.write_text(HEAD + line, encoding="utf-8")
    return path


def test_a_path_that_leaves_the_project_is_refused_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text('{"type": "object"}', encoding="utf-8")
    path = _project(tmp_path, "record_schema: ../../secret.json\n")
    [problem] = _problems(path)
    assert "outside the schema folders" in problem and "probe.yaml:9:16:" in problem


def test_a_schema_in_the_projects_schema_folder_is_found(tmp_path: Path) -> None:
    path = _project(tmp_path, "record_schema: schemas/p.json\n")
    (tmp_path / "project" / "schemas" / "p.json").write_text('{"type": "object"}', encoding="utf-8")
    assert load_mapping(path).name == "quality_probe"


def test_a_symlink_out_of_the_schema_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.json").write_text('{"type": "object"}', encoding="utf-8")
    path = _project(tmp_path, "record_schema: schemas/p.json\n")
    (tmp_path / "project" / "schemas" / "p.json").symlink_to(tmp_path / "elsewhere.json")
    assert "outside the schema folders" in _problems(path)[0]


@pytest.mark.parametrize(
    ("content", "why"), [(b"\x7fELF\x00\x01\x02", "binary"), (b'{"a": "\xff"}', "UTF-8")]
)
def test_a_binary_or_non_utf8_file_is_refused(tmp_path: Path, content: bytes, why: str) -> None:
    path = _project(tmp_path, "record_schema: schemas/p.bin\n")
    (tmp_path / "project" / "schemas" / "p.bin").write_bytes(content)
    [problem] = _problems(path)
    assert why in problem and "probe.yaml:9:16:" in problem


@pytest.mark.parametrize(
    "ref", ["http://127.0.0.1:9/evil.json", "file:///etc/passwd", "../../outside.json", "other.json#/x"]
)
def test_a_ref_that_leaves_the_schema_is_a_load_time_error(tmp_path: Path, ref: str) -> None:
    path = _project(tmp_path, "record_schema: schemas/p.json\n")
    schema = {"type": "object", "properties": {"name": {"$ref": ref}}}
    (tmp_path / "project" / "schemas" / "p.json").write_text(json.dumps(schema), encoding="utf-8")
    [problem] = _problems(path)
    assert "only references inside the schema" in problem and ref in problem


def test_local_refs_still_work(tmp_path: Path) -> None:
    schema = {
        "$defs": {"n": {"type": "string"}},
        "type": "object",
        "properties": {"name": {"$ref": "#/$defs/n"}},
    }
    path = _project(tmp_path, "record_schema: schemas/p.json\n")
    (tmp_path / "project" / "schemas" / "p.json").write_text(json.dumps(schema), encoding="utf-8")
    assert load_mapping(path).name == "quality_probe"
    validator = RecordValidator(schema)
    assert validator.check({"name": "x"}) is None and validator.check({"name": 3}) is not None


def test_the_run_time_validators_never_fetch_a_remote_ref() -> None:
    with pytest.raises(ConfigError, match="leaves the schema"):
        RecordValidator({"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/x.json"}}})

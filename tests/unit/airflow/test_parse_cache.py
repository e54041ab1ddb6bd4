"""The DAG-parse cache of checked mappings: a hit only while nothing the check read has changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from officebridge.airflow import parse_cache
from officebridge.errors import MappingError

REPO = Path(__file__).resolve().parents[3]
MAPPING = REPO / "mappings" / "salesforce_account_to_odoo.yaml"
SCHEMA = REPO / "schemas" / "records" / "odoo" / "res.partner.json"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: a mapping, its record schema next to it, a private cache; no memo left over."""
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    schemas = tmp_path / "schemas" / "records" / "odoo"
    schemas.mkdir(parents=True)
    shutil.copy(SCHEMA, schemas / SCHEMA.name)
    shutil.copy(MAPPING, mappings / MAPPING.name)
    monkeypatch.setenv("OFFICEBRIDGE_DAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(parse_cache, "_memo", {})
    return mappings


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count real loads (a miss of both the memo and the disk)."""
    from officebridge import mapping as mapping_module  # noqa: PLC0415

    calls: list[Path] = []
    real = mapping_module.load_mapping

    def counting(path: Path) -> object:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(mapping_module, "load_mapping", counting)
    return calls


def _touch(path: Path, text: str) -> None:
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_second_process_reads_the_checked_mapping_from_disk(folder: Path, monkeypatch) -> None:
    loads = _loads(monkeypatch)
    path = folder / MAPPING.name
    first = parse_cache.checked_mapping(path)
    monkeypatch.setattr(parse_cache, "_memo", {})  # a new process: only the disk is left
    again = parse_cache.checked_mapping(path)
    assert len(loads) == 1
    assert again == first and again.name == "salesforce_account_to_odoo"
    entries = list((folder.parent / "cache").iterdir())
    assert len(entries) == 1 and entries[0].stat().st_mode & 0o077 == 0


def test_an_edited_mapping_is_checked_again(folder: Path, monkeypatch) -> None:
    loads = _loads(monkeypatch)
    path = folder / MAPPING.name
    parse_cache.checked_mapping(path)
    _touch(path, path.read_text().replace("owner: sales-ops", "owner: finance"))
    assert parse_cache.checked_mapping(path).owner == "finance"
    assert len(loads) == 2


def test_an_edited_record_schema_is_checked_again(folder: Path, monkeypatch) -> None:
    loads = _loads(monkeypatch)
    path = folder / MAPPING.name
    parse_cache.checked_mapping(path)
    schema = folder.parent / "schemas" / "records" / "odoo" / SCHEMA.name
    broken = json.loads(schema.read_text())
    broken["type"] = 7  # not a valid JSON Schema any more
    _touch(schema, json.dumps(broken))
    monkeypatch.setattr(parse_cache, "_memo", {})
    with pytest.raises(MappingError, match="not a valid JSON Schema"):
        parse_cache.checked_mapping(path)
    assert len(loads) == 2


def test_a_broken_mapping_is_never_cached(folder: Path, monkeypatch) -> None:
    loads = _loads(monkeypatch)
    path = folder / MAPPING.name
    _touch(path, path.read_text().replace("mode: upsert", "mode: sideways"))
    for _ in range(2):
        with pytest.raises(MappingError):
            parse_cache.checked_mapping(path)
    assert len(loads) == 2
    assert list((folder.parent / "cache").iterdir()) == []


def test_a_cache_folder_others_can_write_is_not_used(folder: Path, monkeypatch) -> None:
    shared = folder.parent / "cache"
    shared.mkdir()
    shared.chmod(0o777)
    loads = _loads(monkeypatch)
    path = folder / MAPPING.name
    parse_cache.checked_mapping(path)
    monkeypatch.setattr(parse_cache, "_memo", {})
    parse_cache.checked_mapping(path)
    assert len(loads) == 2 and list(shared.iterdir()) == []

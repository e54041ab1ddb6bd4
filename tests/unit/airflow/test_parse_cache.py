"""The DAG-parse cache of checked mappings: a hit only while nothing the check read has changed."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _build_counting(calls: list[str]) -> Callable[[Any], tuple[Any, Any]]:
    from officebridge.airflow.dags import _build_both  # noqa: PLC0415

    def build(mapping: object) -> tuple[object, object]:
        calls.append(str(getattr(mapping, "name", "")))
        return _build_both(mapping)

    return build


def test_a_second_process_unpickles_both_dags_instead_of_building_them(folder: Path, monkeypatch) -> None:
    builds: list[str] = []
    path = folder / MAPPING.name
    first = parse_cache.built_dags(path, _build_counting(builds))
    monkeypatch.setattr(parse_cache, "_memo", {})
    monkeypatch.setattr(parse_cache, "_dag_memo", {})  # a new process: only the disk is left
    again = parse_cache.built_dags(path, _build_counting(builds))
    assert builds == ["salesforce_account_to_odoo"]
    sync, replay = again.dags
    assert sync is not first.dags[0] and sync.dag_id == "sync__salesforce_account_to_odoo"
    assert {t.task_id: sorted(t.downstream_task_ids) for t in sync.tasks} == {
        t.task_id: sorted(t.downstream_task_ids) for t in first.dags[0].tasks
    }
    assert sync.owner == "sales-ops" and sync.params["partitions"] == 4
    assert [t.task_id for t in replay.tasks] == ["replay_dead_letters"]
    mapped = sync.get_task("extract_transform_load")
    assert mapped.python_callable.__name__ == "run_extract_transform_load"
    # Airflow checks `expand_input is EXPAND_INPUT_EMPTY` before it runs a mapped task: an equal copy
    # failed every partition ("unexpected expand_input"); the cache keeps Airflow's own objects
    from airflow.sdk.definitions._internal.expandinput import EXPAND_INPUT_EMPTY  # noqa: PLC0415

    assert mapped.expand_input is EXPAND_INPUT_EMPTY


def test_a_dag_is_unpickled_anew_on_each_parse_of_one_process(folder: Path) -> None:
    path = folder / MAPPING.name
    one = parse_cache.built_dags(path, _build_counting([]))
    two = parse_cache.built_dags(path, _build_counting([]))
    assert one.dags[0] is not two.dags[0] and one.dags[0].dag_id == two.dags[0].dag_id


def test_an_edit_keeping_size_and_mtime_still_rebuilds_the_dags(folder: Path, monkeypatch) -> None:
    builds: list[str] = []
    path = folder / MAPPING.name
    parse_cache.built_dags(path, _build_counting(builds))
    stat = path.stat()
    path.write_text(path.read_text().replace("owner: sales-ops", "owner: sales-abc"))  # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    monkeypatch.setattr(parse_cache, "_dag_memo", {})
    assert parse_cache.built_dags(path, _build_counting(builds)).dags[0].owner == "sales-abc"
    assert len(builds) == 2


def test_a_pools_setting_change_rebuilds_the_dags(folder: Path, monkeypatch) -> None:
    builds: list[str] = []
    path = folder / MAPPING.name
    assert (
        parse_cache.built_dags(path, _build_counting(builds)).dags[0].get_task("extract_transform_load").pool
        == "default_pool"
    )
    monkeypatch.setenv("OFFICEBRIDGE_POOLS", "odoo_default")
    sync = parse_cache.built_dags(path, _build_counting(builds)).dags[0]
    assert sync.get_task("extract_transform_load").pool == "officebridge_odoo_default"
    assert len(builds) == 2


def test_a_mapping_broken_after_its_dags_were_cached_fails_on_every_parse(folder: Path, monkeypatch) -> None:
    builds: list[str] = []
    path = folder / MAPPING.name
    parse_cache.built_dags(path, _build_counting(builds))
    _touch(path, path.read_text().replace("mode: upsert", "mode: sideways"))
    for _ in range(2):
        monkeypatch.setattr(parse_cache, "_dag_memo", {})
        with pytest.raises(MappingError, match="sideways"):
            parse_cache.built_dags(path, _build_counting(builds))
    assert builds == ["salesforce_account_to_odoo"]


def test_one_edited_mapping_among_several_rebuilds_that_mapping_alone(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (folder / MAPPING.name).read_text()
    paths = []
    for i in range(3):
        path = folder / f"accounts_{i}.yaml"
        path.write_text(text.replace("name: salesforce_account_to_odoo", f"name: accounts_{i}"))
        paths.append(path)
    builds: list[str] = []
    for path in paths:
        parse_cache.built_dags(path, _build_counting(builds))
    _touch(paths[1], paths[1].read_text().replace("owner: sales-ops", "owner: finance"))
    monkeypatch.setattr(parse_cache, "_memo", {})
    monkeypatch.setattr(parse_cache, "_dag_memo", {})  # the DAG processor's next process
    owners = [parse_cache.built_dags(path, _build_counting(builds)).dags[0].owner for path in paths]
    assert owners == ["sales-ops", "finance", "sales-ops"]
    assert builds == ["accounts_0", "accounts_1", "accounts_2", "accounts_1"]


def test_a_changed_connector_manifest_or_officebridge_module_changes_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capability checks read the manifests: an edited one (a new cursor field, an operation
    dropped) must check every mapping again, as must a new officebridge release."""
    package = tmp_path / "officebridge"
    (package / "airflow").mkdir(parents=True)
    module = package / "airflow" / "parse_cache.py"
    module.write_text("")
    manifest = tmp_path / "connectors" / "odoo" / "manifest.py"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("CAPABILITIES = 1\n")
    monkeypatch.setattr(parse_cache, "__file__", str(module))

    def digest() -> bytes:
        parse_cache._code_digest.cache_clear()
        return parse_cache._code_digest()

    try:
        first = digest()
        assert digest() == first
        _touch(manifest, "CAPABILITIES = 2\n")
        second = digest()
        assert second != first
        _touch(module, "VERSION = 2\n")  # an upgrade rewrites officebridge's modules
        assert digest() != second
    finally:
        parse_cache._code_digest.cache_clear()


def test_the_fast_yaml_parser_places_every_key_and_value_where_the_pure_one_does() -> None:
    """libyaml parses DAG files' mappings (an eighth of the time): the positions in error messages
    must not move, and a refused file keeps the pure-Python parser's words and hints."""
    from officebridge.mapping import yamldoc  # noqa: PLC0415

    if yamldoc._CLoader is None:
        pytest.skip("PyYAML without libyaml: the pure-Python parser is the only one")
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "mappings").rglob("*.yaml"))]
    texts += [
        'a: 1\r\nb: \'é€x\'\r\nc: "q\\""\n',
        "\ufeffname: x\nf: {a: 1, b: [1, 2, 'x']}\n",
        "é: ü\nx:\n  - |\n    multi\n  - &a {k: v}\n  - *a\non: No\nt: TRUE\nd: 2024-01-01\n",
        "a: 1\na: 2\n",
    ]
    for text in texts:
        assert yamldoc._parse(text, yamldoc._CLoader) == yamldoc._parse(text, yamldoc._Loader)
    for broken in ("a:\n\tb: 1\n", "a: b: c\n", "a: [1, 2\n", 'x: "\\q"\n'):
        with pytest.raises(yamldoc.YamlSyntaxError) as pure:
            yamldoc._parse(broken, yamldoc._Loader)
        with pytest.raises(yamldoc.YamlSyntaxError) as got:
            yamldoc.parse(broken)
        assert (str(got.value), got.value.line, got.value.column) == (
            str(pure.value), pure.value.line, pure.value.column,
        )  # fmt: skip

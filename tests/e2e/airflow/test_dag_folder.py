"""The DAG folder as Airflow parses it: one DAG per mapping, cheap, and a broken mapping isolated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from officebridge.airflow.stubs import TEMPLATE, drift, write_stubs
from tests.e2e.airflow.conftest import DAGS, MAPPINGS, AirflowHome


def test_every_mapping_has_its_dag_file() -> None:
    assert not drift(DAGS, MAPPINGS), drift(DAGS, MAPPINGS).describe()


def test_dags_folder_imports_cleanly_one_dag_per_mapping(airflow_home: AirflowHome) -> None:
    bag = airflow_home.drive("dagbag")
    assert bag["import_errors"] == {}
    names = sorted(p.stem for p in MAPPINGS.glob("*.yaml"))
    pairs = sorted(p.stem for p in (MAPPINGS / "pairs").glob("*.yaml"))  # two-way files: one DAG each
    assert sorted(bag["dags"]) == sorted(
        [
            *(f"{kind}__{n}" for kind in ("sync", "replay", "reconcile") for n in names),
            *(f"{kind}__{p}" for kind in ("pair", "reconcile") for p in pairs),
        ]
    )
    assert bag["heavy_modules"] == []  # no connector, pandas or Great Expectations at parse time

    accounts = bag["dags"]["sync__salesforce_account_to_odoo"]
    assert accounts["owner"] == "sales-ops" and accounts["max_active_runs"] == 1
    assert accounts["tags"] == ["accounts", "crm", "erp", "officebridge"]
    assert accounts["description"].startswith("Salesforce Accounts become Odoo companies")
    assert "`res.partner`" in accounts["doc_md"] and "| `name` | copy `Name` |" in accounts["doc_md"]
    assert accounts["timetable"] == "CronTriggerTimetable"
    assert accounts["retries"] == 3 and accounts["retry_exponential_backoff"] == 2.0
    assert accounts["tasks"] == {
        "check_connections": ["plan_partitions"],
        "plan_partitions": ["extract_transform_load"],
        "extract_transform_load": ["commit_watermark", "report"],
        "commit_watermark": ["report"],
        "report": ["dead_letters"],
        "dead_letters": [],
    }
    assert accounts["outlets"] == ["odoo://odoo_default/res.partner?sync=salesforce_account_to_odoo"]

    replay = bag["dags"]["replay__salesforce_account_to_odoo"]  # the Syncs view's Replay button runs it
    assert replay["tasks"] == {"replay_dead_letters": []} and replay["timetable"] == "NullTimetable"
    assert replay["paused_at_creation"] is False and replay["params"] == ["letter_ids"]
    assert replay["owner"] == "sales-ops" and replay["retries"] == 3 and replay["max_active_runs"] == 1

    pair = bag["dags"]["pair__salesforce_account_odoo_company"]
    assert pair["tasks"] == {"a_to_b": ["b_to_a"], "b_to_a": ["conflicts"], "conflicts": []}
    assert pair["owner"] == "sales-ops" and "two-way" in pair["tags"]

    contacts = bag["dags"]["sync__salesforce_contact_to_odoo"]
    assert contacts["timetable"] == "AssetTriggeredTimetable"  # runs after the Account sync wrote
    assert "officebridge.salesforce_account_to_odoo" in contacts["schedule"]
    assert contacts["outlets"] == ["odoo://odoo_default/res.partner?sync=salesforce_contact_to_odoo"]


def _folder(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A copy of mappings/ with its DAG files, to break on purpose."""
    mappings, dags = tmp_path / name / "mappings", tmp_path / name / "dags"
    shutil.copytree(MAPPINGS, mappings)
    write_stubs(dags, mappings)
    shutil.copyfile(DAGS / "officebridge_syncs.py", dags / "officebridge_syncs.py")
    return mappings, dags


def test_a_broken_mapping_is_an_import_error_of_its_own_file_only(
    airflow_home: AirflowHome, tmp_path: Path
) -> None:
    broken_mappings, broken_dags = _folder(tmp_path, "broken")
    broken = broken_mappings / "odoo_credit_to_salesforce.yaml"
    broken.write_text(broken.read_text().replace("copy: trust", "copy: trust\n    transforms: [shout]"))
    new_mappings, new_dags = _folder(tmp_path, "new")
    shutil.copyfile(new_mappings / "salesforce_account_to_odoo.yaml", new_mappings / "new_sync.yaml")
    plan = [[str(broken_dags), {"OFFICEBRIDGE_MAPPINGS": str(broken_mappings)}],
            [str(new_dags), {"OFFICEBRIDGE_MAPPINGS": str(new_mappings)}]]  # fmt: skip

    bag, new = airflow_home.drive("dagbags", json.dumps(plan), dags=Path("-"))
    assert list(bag["import_errors"]) == [str(broken_dags / "sync__odoo_credit_to_salesforce.py")]
    [message] = bag["import_errors"].values()
    line = broken.read_text().splitlines().index("    transforms: [shout]") + 1
    assert f"{broken}:{line}:" in message and "unknown transform 'shout'" in message  # file, line, problem
    assert not {"sync__odoo_credit_to_salesforce", "replay__odoo_credit_to_salesforce"} & set(bag["dags"])
    assert {"sync__salesforce_account_to_odoo", "replay__salesforce_account_to_odoo"} <= set(bag["dags"])

    # a mapping added without its DAG file: the folder's index file writes it (the next scan parses it)
    assert str(new_dags / "officebridge_syncs.py") not in new["import_errors"]
    assert (new_dags / "sync__new_sync.py").read_text() == TEMPLATE.format(mapping="new_sync.yaml")
    assert len(new["dags"]) == 2 * len(list(new_mappings.glob("*.yaml"))) - 2  # a sync and a replay DAG each
    assert "sync__new_sync" not in new["dags"]  # written now, parsed on the next scan

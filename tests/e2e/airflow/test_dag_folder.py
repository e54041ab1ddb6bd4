"""The DAG folder as Airflow parses it: one DAG per mapping, cheap, and a broken mapping isolated."""

from __future__ import annotations

import shutil
from pathlib import Path

from officebridge.airflow.stubs import drift, write_stubs
from tests.e2e.airflow.conftest import DAGS, MAPPINGS, AirflowHome


def test_every_mapping_has_its_dag_file() -> None:
    assert not drift(DAGS, MAPPINGS), drift(DAGS, MAPPINGS).describe()


def test_dags_folder_imports_cleanly_one_dag_per_mapping(airflow_home: AirflowHome) -> None:
    bag = airflow_home.drive("dagbag")
    assert bag["import_errors"] == {}
    names = sorted(p.stem for p in MAPPINGS.glob("*.yaml"))
    assert sorted(bag["dags"]) == [f"sync__{n}" for n in names]
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
        "report": [],
    }
    assert accounts["outlets"] == ["odoo://odoo_default/res.partner?sync=salesforce_account_to_odoo"]

    contacts = bag["dags"]["sync__salesforce_contact_to_odoo"]
    assert contacts["timetable"] == "AssetTriggeredTimetable"  # runs after the Account sync wrote
    assert "officebridge.salesforce_account_to_odoo" in contacts["schedule"]
    assert contacts["outlets"] == ["odoo://odoo_default/res.partner?sync=salesforce_contact_to_odoo"]


def test_a_broken_mapping_is_an_import_error_of_its_own_file_only(
    airflow_home: AirflowHome, tmp_path: Path
) -> None:
    mappings, dags = tmp_path / "mappings", tmp_path / "dags"
    shutil.copytree(MAPPINGS, mappings)
    broken = mappings / "odoo_credit_to_salesforce.yaml"
    broken.write_text(broken.read_text().replace("copy: trust", "copy: trust\n    transforms: [shout]"))
    write_stubs(dags, mappings)
    shutil.copyfile(DAGS / "officebridge_syncs.py", dags / "officebridge_syncs.py")

    bag = airflow_home.drive("dagbag", dags=dags, OFFICEBRIDGE_MAPPINGS=str(mappings))
    assert list(bag["import_errors"]) == [str(dags / "sync__odoo_credit_to_salesforce.py")]
    [message] = bag["import_errors"].values()
    line = broken.read_text().splitlines().index("    transforms: [shout]") + 1
    assert f"{broken}:{line}:" in message and "unknown transform 'shout'" in message  # file, line, problem
    assert sorted(bag["dags"]) == ["sync__salesforce_account_to_odoo", "sync__salesforce_contact_to_odoo"]


def test_a_mapping_without_its_dag_file_is_reported(airflow_home: AirflowHome, tmp_path: Path) -> None:
    mappings, dags = tmp_path / "mappings", tmp_path / "dags"
    shutil.copytree(MAPPINGS, mappings)
    write_stubs(dags, mappings)
    shutil.copyfile(DAGS / "officebridge_syncs.py", dags / "officebridge_syncs.py")
    shutil.copyfile(mappings / "salesforce_account_to_odoo.yaml", mappings / "new_sync.yaml")

    bag = airflow_home.drive("dagbag", dags=dags, OFFICEBRIDGE_MAPPINGS=str(mappings))
    assert list(bag["import_errors"]) == [str(dags / "officebridge_syncs.py")]
    assert "no DAG file for new_sync.yaml" in next(iter(bag["import_errors"].values()))
    assert len(bag["dags"]) == 3  # the others are untouched

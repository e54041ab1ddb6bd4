"""The daily `reconcile__<sync>` DAGs in real Airflow: parsed cheaply, failing on drift, repairing on conf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from officebridge.state import reconciliations as recs
from tests.e2e.airflow.conftest import MAPPINGS, AirflowHome
from tests.integration.sync.conftest import ACCOUNTS, Bridge

pytestmark = pytest.mark.slow
SYNC = "salesforce_account_to_odoo"


def test_every_mapping_has_a_daily_reconcile_dag_and_parsing_stays_light(airflow_home: AirflowHome) -> None:
    bag = airflow_home.drive("dagbag")
    assert bag["import_errors"] == {}
    assert bag["heavy_modules"] == []
    names = [p.stem for p in MAPPINGS.glob("*.yaml")] + [p.stem for p in (MAPPINGS / "pairs").glob("*.yaml")]
    assert sorted(d for d in bag["dags"] if d.startswith("reconcile__")) == sorted(
        f"reconcile__{n}" for n in names
    )
    accounts = bag["dags"][f"reconcile__{SYNC}"]
    assert accounts["tasks"] == {"reconcile": []} and accounts["owner"] == "sales-ops"
    assert accounts["schedule"] == "@daily" and "reconcile" in accounts["tags"]


def test_the_task_fails_on_drift_and_repairs_when_asked(
    dag_test: Any, bridge: Bridge, tmp_path: Path
) -> None:
    bridge.run(ACCOUNTS)
    partner = bridge.partners([["ref", "=like", "001%"]], ["id", "ref"])[0]
    bridge.odoo_client.execute_kw("res.partner", "write", [[partner["id"]], {"city": "Nowhere"}])
    home = {"OFFICEBRIDGE_HOME": str(tmp_path)}
    found, repaired = dag_test(
        (f"reconcile__{SYNC}", {}, home), (f"reconcile__{SYNC}", {"repair": True}, home)
    )
    assert found["tasks"] == {"reconcile": "failed"}
    assert repaired["tasks"] == {"reconcile": "success"}
    first, second = recs.recent(bridge.store, SYNC, limit=2)[::-1]
    assert (first.status, first.counts["drifted"], first.trigger) == ("drift", 1, "airflow")
    assert (second.status, second.counts["repaired"]) == ("repaired", 1)
    assert Path(second.detail["reports"]["html"]).parent == tmp_path / "reports" / SYNC

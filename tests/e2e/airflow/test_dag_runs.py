"""Every shipped sync through real Airflow (dag.test) against both sandboxes: first run, then a rerun."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from officebridge.state import StateStore
from tests.e2e.airflow.conftest import AirflowHome
from tests.integration.sync.conftest import ACCOUNTS as CONFIG_ACCOUNTS
from tests.integration.sync.conftest import Bridge

ACCOUNTS, CONTACTS, CREDIT = (
    "salesforce_account_to_odoo",
    "salesforce_contact_to_odoo",
    "odoo_credit_to_salesforce",
)
DagTest = Callable[..., list[dict[str, Any]]]


def _ok(run: dict[str, Any]) -> None:
    assert run["state"] == "success", run
    assert set(run["tasks"].values()) == {"success"}, run["tasks"]


def test_shipped_syncs_run_in_airflow_then_rerun_changes_nothing(bridge: Bridge, dag_test: DagTest) -> None:
    runs = dag_test(
        (f"sync__{ACCOUNTS}", {"partitions": 3}),
        (f"sync__{ACCOUNTS}", {}),
        (f"sync__{CONTACTS}", {}),
        (f"sync__{CONTACTS}", {}),
        (f"sync__{CREDIT}", {}),
        (f"sync__{CREDIT}", {}),
    )
    for run in runs:
        _ok(run)
    first = runs[0]
    assert {k for k in first["tasks"] if k.startswith("extract_transform_load")} == {
        f"extract_transform_load[{i}]" for i in range(3)
    }  # the initial load fanned out over three mapped tasks
    assert (
        "extract_transform_load[0]" in runs[1]["tasks"]
        and "extract_transform_load[1]" not in runs[1]["tasks"]
    )

    # what the systems now hold
    accounts = bridge.sf_records("SELECT Id, Name, Rating FROM Account")
    contacts = bridge.sf_records("SELECT Id, AccountId FROM Contact")
    companies = {p["ref"]: p for p in bridge.synced_partners("001")}
    people = {p["ref"]: p for p in bridge.synced_partners("003")}
    assert {a["Id"]: a["Name"].strip() for a in accounts} == {r: p["name"] for r, p in companies.items()}
    assert set(people) == {c["Id"] for c in contacts}
    for contact in contacts:
        assert people[contact["Id"]]["parent_id"][0] == companies[contact["AccountId"]]["id"]
    assert {a["Rating"] for a in accounts} == {"Warm"}  # every new Odoo company is a "normal" debtor

    # what the state store recorded, run by run
    store = bridge.store
    account_runs = sorted(store.runs(ACCOUNTS, limit=50), key=lambda r: r.id)
    assert [r.trigger for r in account_runs] == ["airflow"] * 4  # three partitions, one incremental rerun
    assert sum(r.counts["created"] for r in account_runs[:3]) == len(accounts) == 300
    rerun = account_runs[3]
    assert (rerun.counts["created"], rerun.counts["updated"], rerun.counts["failed"]) == (0, 0, 0)
    assert rerun.detail["airflow_dag_id"] == f"sync__{ACCOUNTS}"
    assert rerun.detail["airflow_run_id"] == runs[1]["run_id"]
    assert {r.detail["airflow_run_id"] for r in account_runs[:3]} == {first["run_id"]}
    assert store.watermark(ACCOUNTS) is not None
    for (sync, created, updated), (one, two) in zip(
        ((CONTACTS, len(contacts), 0), (CREDIT, 0, 300)), (runs[2:4], runs[4:6]), strict=True
    ):
        by_dag_run: dict[str, list[Any]] = {}
        for r in store.runs(sync, limit=50):
            by_dag_run.setdefault(r.detail["airflow_run_id"], []).append(r)
        initial, again = by_dag_run[one["run_id"]], by_dag_run[two["run_id"]]
        # default: four partitions, then one incremental run; Odoo companies all stamped in one second
        # leave nothing to split the credit sync's initial load by (plan_partitions runs it whole)
        stamps = {p["write_date"] for p in bridge.partners([["ref", "=like", "001%"]], ["write_date"])}
        parts = 1 if sync == CREDIT and len(stamps) == 1 else 4
        assert len(initial) == parts and len(again) == 1
        assert sum(r.counts["created"] for r in initial) == created
        assert sum(r.counts["updated"] for r in initial) == updated
        assert (again[0].counts["created"], again[0].counts["updated"], again[0].counts["failed"]) == (
            0,
            0,
            0,
        )
        assert store.watermark(sync) is not None


def _snapshot(bridge: Bridge) -> dict[str, tuple[Any, ...]]:
    rows = bridge.partners(
        [["ref", "=like", "001%"]], ["ref", "name", "street", "city", "zip", "country_id", "phone", "website",
                                     "customer_rank", "active"],
    )  # fmt: skip
    return {r["ref"]: tuple(v for k, v in sorted(r.items()) if k != "id") for r in rows}


@pytest.mark.slow
def test_partitioned_initial_load_equals_a_single_partition(
    bridge: Bridge, dag_test: DagTest, tmp_path: Path
) -> None:
    # one partition: the ordinary run, from nothing
    single = bridge.run(CONFIG_ACCOUNTS)
    assert single.counts.created == 300
    expected, mark = _snapshot(bridge), bridge.store.watermark(ACCOUNTS)

    # the same load from nothing again (written records removed, a new state store), split six ways in Airflow
    ids = [p["id"] for p in bridge.partners([["ref", "=like", "001%"]], ["id"])]
    bridge.odoo_client.execute_kw("res.partner", "unlink", [ids])
    fresh = f"sqlite:///{tmp_path / 'split.db'}"
    [split] = dag_test((f"sync__{ACCOUNTS}", {"partitions": 6}, {"OFFICEBRIDGE_STATE_URL": fresh}))
    _ok(split)
    assert sum(k.startswith("extract_transform_load[") for k in split["tasks"]) == 6
    assert _snapshot(bridge) == expected and len(expected) == 300
    with StateStore.open(fresh) as store:
        runs = store.runs(ACCOUNTS, limit=20)
        assert len(runs) == 6 and sum(r.counts["created"] for r in runs) == 300
        assert store.watermark(ACCOUNTS) == mark  # one watermark, whichever way the load was split


def test_a_dag_run_in_one_process_logs_in_and_describes_each_system_once(
    bridge: Bridge, dag_test: DagTest, airflow_home: AirflowHome, tmp_path: Path, monkeypatch
) -> None:
    """dag.test runs every task in one process: the connectors check_connections opened (logged in,
    describes held) serve plan_partitions and each partition, and commit_watermark closes them.
    The DAG comes from the parse cache (unpickled), as the processor's every parse but the first."""
    monkeypatch.setenv("OFFICEBRIDGE_DAG_CACHE", str(tmp_path / "dag-cache"))
    assert airflow_home.drive("dagbag")["import_errors"] == {}  # builds and caches the DAGs
    bridge.sf.reset_stats()
    bridge.odoo.reset_stats()
    [first] = dag_test((f"sync__{ACCOUNTS}", {"partitions": 3}))
    _ok(first)
    assert sum(k.startswith("extract_transform_load[") for k in first["tasks"]) == 3
    sf, odoo = bridge.sf.stats()["by_route"], bridge.odoo.stats()["by_operation"]
    logins = {k: v for k, v in sf.items() if "Soap" in k}
    assert list(logins.values()) == [1], sf  # one Salesforce login for check, plan and three partitions
    assert sf["GET /services/data/vXX.X/sobjects/Account/describe"] == 1, sf
    assert odoo.get("res.partner.fields_get") == 1, odoo
    assert sum(v for k, v in odoo.items() if "login" in k or "authenticate" in k) == 1, odoo
    assert len(bridge.synced_partners("001")) == 300

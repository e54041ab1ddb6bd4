"""The shipped pair in real Airflow (dag.test): both directions run, then a manual conflict fails the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from officebridge.state.reconciliations import latest
from tests.integration.sync.conftest import Bridge

pytestmark = pytest.mark.slow
PAIR = "salesforce_account_odoo_company"
DagTest = Callable[..., list[dict[str, Any]]]


def test_the_pair_dag_runs_both_directions_and_a_manual_conflict_fails_its_check(
    bridge: Bridge, dag_test: DagTest
) -> None:
    first = dag_test(
        ("sync__salesforce_account_to_odoo", {}),
        (f"pair__{PAIR}", {}),
        (f"pair__{PAIR}", {}),
        (f"reconcile__{PAIR}", {}),  # both sides compared after the runs: nothing out of step
    )
    for run in first:
        assert run["state"] == "success", run
    assert set(first[1]["tasks"]) == {"a_to_b", "b_to_a", "conflicts"}
    assert set(first[3]["tasks"]) == {"reconcile"}
    forward, backward = (bridge.store.runs(f"{PAIR}__{d}", limit=1)[0] for d in ("a_to_b", "b_to_a"))
    assert forward.trigger == backward.trigger == "airflow"
    assert forward.counts["updated"] + forward.counts["created"] == 0  # the second pair run: nothing to do
    assert backward.counts["updated"] + backward.counts["created"] == 0
    assert forward.detail.get("airflow_dag_id") == f"pair__{PAIR}"
    checked = latest(bridge.store, PAIR)
    assert checked is not None and checked.status == "clean", checked

    [account] = bridge.sf_records("SELECT Id FROM Account ORDER BY Id LIMIT 1")
    [company] = bridge.partners([["ref", "=", account["Id"]]], ["id"])
    bridge.sf_client.Account.update(account["Id"], {"Description": "CRM notes"})
    bridge.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"comment": "ERP notes"}])
    [failed] = dag_test((f"pair__{PAIR}", {}))
    assert failed["state"] == "failed", failed
    assert failed["tasks"]["a_to_b"] == failed["tasks"]["b_to_a"] == "success"
    assert failed["tasks"]["conflicts"] == "failed"
    [letter] = [d for d in bridge.store.dead_letters(PAIR) if d.stage == "conflict"]
    assert letter.payload["a_id"] == account["Id"] and set(letter.payload["fields"]) == {"notes"}

"""Airflow and the Syncs view tell one truth: dead letters turn a DAG run red, a failed start is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.integration.sync.conftest import Bridge

ACCOUNTS = "salesforce_account_to_odoo"
DagTest = Callable[..., list[dict[str, Any]]]


def test_dead_letters_fail_the_dag_run_with_a_reason_and_a_failed_start_is_recorded(
    bridge: Bridge, dag_test: DagTest
) -> None:
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1")[0]["Name"].strip()
    bridge.odoo.add_fault("record_error", field="name", value=name, message="Name is on a sanctions list")
    wrong = json.dumps({**json.loads(bridge.odoo.connection_value()), "password": "wrong-password-123"})
    partial, refused = dag_test(
        (f"sync__{ACCOUNTS}", {"partitions": 1}, {"OFFICEBRIDGE_RETRY_ATTEMPTS": "1"}),
        (f"sync__{ACCOUNTS}", {}, {"AIRFLOW_CONN_ODOO_DEFAULT": wrong}),
    )

    # a run that left dead letters is not green: every step succeeded, the dead-letter check failed
    assert partial["state"] == "failed", partial
    tasks = partial["tasks"]
    assert tasks.pop("dead_letters") == "failed"
    assert set(tasks.values()) == {"success"}, tasks  # the good records were written, the asset published
    store = bridge.store
    [run] = [r for r in store.runs(ACCOUNTS) if r.detail.get("airflow_run_id") == partial["run_id"]]
    assert run.status == "partial" and run.counts["failed"] >= 1  # every Account of that name

    # a run that never got going is in the state store (so in the Syncs view), with the reason
    assert refused["state"] == "failed" and refused["tasks"]["check_connections"] == "failed", refused
    [failed] = [r for r in store.runs(ACCOUNTS) if r.detail.get("airflow_run_id") == refused["run_id"]]
    assert failed.status == "failed" and failed.detail["stage"] == "check_connections"
    assert "AuthenticationError" in (failed.error or "") and "wrong-password-123" not in (failed.error or "")
    assert store.last_run(ACCOUNTS) == failed  # "last run" is no longer the earlier success


def test_the_dead_letter_message_names_the_count_the_view_and_the_command(monkeypatch: Any) -> None:
    from officebridge.airflow.health import dead_letter_message  # noqa: PLC0415

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:9080")
    assert dead_letter_message(ACCOUNTS, 0, ["succeeded"]) is None
    text = dead_letter_message(ACCOUNTS, 3, ["partial"]) or ""
    assert "3 record(s)" in text and f"http://127.0.0.1:9080/officebridge/syncs/{ACCOUNTS}" in text
    assert f"officebridge dead-letters list --sync {ACCOUNTS}" in text

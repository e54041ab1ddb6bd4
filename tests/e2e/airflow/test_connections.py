"""Connections the Airflow way: the odoo type registered as providers do; secrets read from Airflow."""

from __future__ import annotations

import json
import subprocess
import sys

from connectors.odoo.sandbox import OdooSandbox
from tests.e2e.airflow.conftest import AirflowHome


def test_odoo_connection_type_and_lookup_through_the_metadata_db(
    airflow_home: AirflowHome, odoo_fresh: OdooSandbox
) -> None:
    # an ops engineer stores the connection in Airflow (here with the CLI; the UI form writes the same row)
    sandbox = json.loads(odoo_fresh.connection_value())
    env = airflow_home.env()
    for name in ("AIRFLOW_CONN_ODOO_DEFAULT", "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP"):
        env.pop(name, None)
    add = [sys.executable, "-m", "airflow", "connections", "add", "odoo_erp", "--conn-type", "odoo",
           "--conn-host", sandbox["host"], "--conn-port", str(sandbox["port"]),
           "--conn-login", sandbox["login"], "--conn-password", sandbox["password"],
           "--conn-schema", sandbox["schema"],
           "--conn-extra", json.dumps({"protocol": "jsonrpc"})]  # fmt: skip
    subprocess.run(add, env=env, check=True, capture_output=True, timeout=120)

    found = airflow_home.drive(
        "connections",
        json.dumps(["odoo_erp"]),
        AIRFLOW_CONN_ODOO_DEFAULT="",
        OFFICEBRIDGE_NO_AIRFLOW_LOOKUP="",
    )
    assert "officebridge" in found["providers"]
    assert found["hook"] == {"class": "connectors.odoo.airflow.OdooHook", "name": "Odoo",
                             "conn_id_attr": "conn_id", "testable": True}  # fmt: skip
    assert found["fields"] == ["extra__odoo__protocol", "extra__odoo__timeout"]
    assert found["behaviour"]["relabeling"]["schema"] == "Database"

    conn = found["resolved"]["odoo_erp"]  # not in the environment: read through Airflow's own lookup
    assert (conn["conn_type"], conn["host"], conn["port"]) == ("odoo", sandbox["host"], sandbox["port"])
    assert (conn["login"], conn["schema"]) == (sandbox["login"], sandbox["schema"])
    assert conn["extra"] == {"protocol": "jsonrpc"}
    assert conn["password_set"] and sandbox["password"] not in conn["repr"]
    assert found["test"]["odoo_erp"] == [True, "Connection successfully tested"]

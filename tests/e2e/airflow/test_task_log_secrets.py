"""A hostile Odoo password on a real DAG run: not in the task logs, in no encoding.

The password holds what breaks naive masking: quotes, a backslash, `%`, a `%2F` that
reads as URL-encoded already, base64 padding, non-ASCII. It reaches Airflow the way a
deployment's does, as an `AIRFLOW_CONN_*` URI (so percent-encoded), the login fails
(the wrong password), and the run logs at DEBUG, where OdooRPC logs its JSON-RPC login
payload, password included, and the failure is reported in the task log and the UI.
Airflow's own in-process supervisor (dag.test) logs each MaskSecret request it is sent
at DEBUG, value in clear: the registry hands forms to the shared masker directly there.
Searched: everything the DAG run printed (dag.test prints the task logs) and every file
under Airflow's log folder, for the forms `encodings` writes out itself (as is, repr,
JSON-escaped, URL-encoded, base64, HTML) and those the redaction knows.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.e2e.airflow.conftest import AirflowHome
from tests.integration.secrets.test_no_secret_anywhere import encodings, hostile
from tests.integration.sync.conftest import Bridge

pytestmark = pytest.mark.slow  # Airflow's in-process execution API, and both sandboxes
DAG = "sync__salesforce_account_to_odoo"


def test_a_refused_hostile_password_is_in_no_task_log(
    bridge: Bridge, airflow_home: AirflowHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = hostile("af") + "%2Fb64=="
    odoo = bridge.odoo
    login = odoo.credentials.login
    uri = (
        f"odoo://{quote(login, safe='')}:{quote(password, safe='')}@{odoo.host}:{odoo.port}/"
        f"{quote(odoo.credentials.database, safe='')}?protocol=jsonrpc"
    )
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", uri)
    url = bridge.store.url.render_as_string(hide_password=False)
    steps: list[tuple[str, dict[str, object], dict[str, str]]] = [(DAG, {}, {})]
    [run], printed = airflow_home.drive_logged(
        "test", json.dumps(steps), OFFICEBRIDGE_STATE_URL=url, AIRFLOW__LOGGING__LOGGING_LEVEL="DEBUG"
    )
    assert run["state"] == "failed" and run["tasks"]["check_connections"] == "failed", run
    logs = {"the DAG run's output": printed}
    for file in sorted((airflow_home.home / "logs").rglob("*")):
        if file.is_file():
            logs[str(file.relative_to(airflow_home.home))] = file.read_text(errors="replace")
    forms = encodings(password, login) | {uri, quote(password, safe=""), quote(password)}
    leaked = {where: sorted(f for f in forms if f in text) for where, text in logs.items()}
    assert {where: found for where, found in leaked.items() if found} == {}

    # the failure is there to read, and the payload that carried the password was logged, masked
    assert "check_connections" in printed and "***" in printed
    assert "AuthenticationError" in printed or "refused" in printed.lower(), printed[-3000:]
    payloads = [line for line in printed.splitlines() if "(JSON,send)" in line and "'login'" in line]
    assert payloads and all("***" in line for line in payloads), "the login payload (the secret was there)"

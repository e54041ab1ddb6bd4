"""Inside Airflow every form of a secret reaches Airflow's own masker too (task logs, the UI)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

# find_spec, not importorskip: importing Airflow into the pytest process at collection would hand every
# secret any later test registers to Airflow's masker (slow, and it grows), making the whole session slow.
pytestmark = [
    pytest.mark.slow,  # starts a Python that imports Airflow
    pytest.mark.skipif(importlib.util.find_spec("airflow") is None, reason="Airflow is not installed"),
]

PROGRAM = textwrap.dedent(
    """
    import json, sys, urllib.parse
    import airflow.sdk.log  # as inside a task: Airflow is loaded before our code runs
    from airflow.sdk._shared.secrets_masker import _secrets_masker
    from officebridge.connections import parse_connection
    secret = sys.argv[1]
    parse_connection("odoo_x", json.dumps({"conn_type": "odoo", "login": "bob", "password": secret}))
    masker = _secrets_masker()
    shown = [secret, repr(secret), json.dumps(secret), urllib.parse.quote(secret, safe="")]
    print(json.dumps([masker.redact(f"x {s} y") for s in shown]))
    """
)


def test_a_parsed_connection_password_is_masked_by_airflow_in_every_form() -> None:
    secret = "Hy'p\\\"er/%é-7f3a9"
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, secret], capture_output=True, text=True, timeout=60, check=True
    )
    redacted = json.loads(done.stdout.strip().splitlines()[-1])
    assert all("***" in line and secret not in line and "7f3a9" not in line for line in redacted), redacted

"""officebridge as an Airflow provider: the connection types its connectors declare.

Airflow finds providers through the `apache_airflow_provider` entry point and
reads this dictionary without importing any hook, so the Connections form
offers each system's type with its own fields on a fresh install. Connection
types that another provider owns (`ConnectionContract.register` False, e.g.
`salesforce`) are left to it, so the two never fight over one type.
"""

from __future__ import annotations

from typing import Any

from officebridge.connector import manifests


def get_provider_info() -> dict[str, Any]:
    types = []
    for found in manifests().values():
        contract = found.connection
        if not contract.register or contract.hook_class is None:
            continue
        types.append(
            {
                "connection-type": contract.conn_type,
                "hook-class-name": contract.hook_class,
                "hook-name": contract.hook_name,
                "conn-fields": dict(contract.fields),
                "ui-field-behaviour": dict(contract.behaviour),
            }
        )
    return {
        "package-name": "officebridge",
        "name": "officebridge",
        "description": "Keeps front-office and back-office records in step; adds its connection types.",
        "connection-types": types,
    }

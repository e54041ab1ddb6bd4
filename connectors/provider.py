"""officebridge as an Airflow provider: the connection types it adds to Airflow's UI.

Airflow finds providers through the `apache_airflow_provider` entry point of
an installed distribution and reads this dictionary without importing any
hook, so the Connections form can offer "Odoo" with the right fields
(host, port, login, password, database, protocol) on a fresh install. The
Salesforce connector uses the standard `salesforce` connection type, whose
form comes with apache-airflow-providers-salesforce; it is not declared here
so the two never fight over one connection type.
"""

from __future__ import annotations

from typing import Any

ODOO_FIELDS: dict[str, Any] = {
    "protocol": {
        "label": "Protocol",
        "description": "jsonrpc (plain HTTP, e.g. a local sandbox) or jsonrpc+ssl (HTTPS, any hosted Odoo)",
        "schema": {"type": ["string", "null"], "enum": ["jsonrpc", "jsonrpc+ssl"], "default": "jsonrpc+ssl"},
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "schema": {"type": ["integer", "null"], "default": 120},
    },
}
ODOO_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["extra"],
    "relabeling": {"schema": "Database", "login": "Login (user name)", "password": "Password or API key"},
    "placeholders": {
        "host": "mycompany.odoo.com",
        "port": "443 for jsonrpc+ssl, 8069 for jsonrpc",
        "schema": "mycompany",
        "login": "integration@mycompany.com",
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "officebridge",
        "name": "officebridge",
        "description": "Keeps Salesforce and Odoo records in step; adds the Odoo connection type.",
        "connection-types": [
            {
                "connection-type": "odoo",
                "hook-class-name": "connectors.odoo.airflow.OdooHook",
                "hook-name": "Odoo",
                "conn-fields": ODOO_FIELDS,
                "ui-field-behaviour": ODOO_BEHAVIOUR,
            }
        ],
    }

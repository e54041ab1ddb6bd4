"""The Odoo connection contract in Airflow's terms: a hook over the officebridge Odoo connector.

Airflow learns the connection type from the provider info (officebridge/airflow/provider.py,
built from connectors/odoo/manifest.py); this class is what it imports when someone tests a
connection in the UI or a task asks for a hook. It holds no client code: it
resolves the connection the way every officebridge run does
(`resolve_connection`: AIRFLOW_CONN_* first, then Airflow's metadata DB and
secrets backends) and opens the ordinary Odoo connector on it.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from connectors.odoo.manifest import ODOO_BEHAVIOUR


class OdooHook(BaseHook):
    """Opens an officebridge Odoo connector on an Airflow connection of type `odoo`."""

    conn_name_attr = "odoo_conn_id"
    default_conn_name = "odoo_default"
    conn_type = "odoo"
    hook_name = "Odoo"

    def __init__(self, odoo_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.odoo_conn_id = odoo_conn_id
        self._connector: Any = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's labels and placeholders (Airflow reads them from the provider info first)."""
        return {
            "hidden_fields": ODOO_BEHAVIOUR["hidden-fields"],
            "relabeling": ODOO_BEHAVIOUR["relabeling"],
            "placeholders": ODOO_BEHAVIOUR["placeholders"],
        }

    def get_conn(self) -> Any:
        if self._connector is None:
            from connectors.odoo.connector import OdooConnector  # noqa: PLC0415 - only when used
            from officebridge.connections import resolve_connection  # noqa: PLC0415

            self._connector = OdooConnector(resolve_connection(self.odoo_conn_id))
        return self._connector

    def test_connection(self) -> tuple[bool, str]:
        """What the UI's Test button calls: log in and make one cheap call."""
        try:
            self.get_conn().check()
        except Exception as exc:  # the UI shows the reason instead of a traceback
            return False, f"{type(exc).__name__}: {exc}"
        return True, "Connection successfully tested"

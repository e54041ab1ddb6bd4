"""The HubSpot connection contract in Airflow's terms: a hook over the officebridge HubSpot connector.

Airflow learns the `hubspot` connection type from officebridge's provider info
(built from connectors/hubspot/manifest.py, as no Airflow provider owns that
type); the UI's Test button and tasks that ask for a hook import this class.
It resolves the connection as every officebridge run does and opens the
ordinary connector on it; the token never leaves the connector.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from connectors.hubspot.manifest import HUBSPOT_BEHAVIOUR


class HubSpotHook(BaseHook):
    """Opens an officebridge HubSpot connector on an Airflow connection of type `hubspot`."""

    conn_name_attr = "hubspot_conn_id"
    default_conn_name = "hubspot_default"
    conn_type = "hubspot"
    hook_name = "HubSpot"

    def __init__(self, hubspot_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hubspot_conn_id = hubspot_conn_id
        self._connector: Any = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's labels and placeholders (Airflow reads them from the provider info first)."""
        return {
            "hidden_fields": HUBSPOT_BEHAVIOUR["hidden-fields"],
            "relabeling": HUBSPOT_BEHAVIOUR["relabeling"],
            "placeholders": HUBSPOT_BEHAVIOUR["placeholders"],
        }

    def get_conn(self) -> Any:
        if self._connector is None:
            from connectors.hubspot.connector import HubSpotConnector  # noqa: PLC0415 - only when used
            from officebridge.connections import resolve_connection  # noqa: PLC0415

            self._connector = HubSpotConnector(resolve_connection(self.hubspot_conn_id))
        return self._connector

    def test_connection(self) -> tuple[bool, str]:
        """What the UI's Test button calls: log in and make one cheap call."""
        try:
            self.get_conn().check()
        except Exception as exc:  # the UI shows the reason instead of a traceback
            return False, f"{type(exc).__name__}: {exc}"
        return True, "Connection successfully tested"

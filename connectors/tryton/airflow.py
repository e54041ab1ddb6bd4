"""The Tryton connection contract in Airflow's terms: a hook over the officebridge Tryton connector.

Airflow learns the connection type from the provider info (officebridge/airflow/provider.py,
built from connectors/tryton/manifest.py); this class is what it imports when someone tests a
connection in the UI or a task asks for a hook. It holds no client code: it
resolves the connection the way every officebridge run does
(`resolve_connection`: AIRFLOW_CONN_* first, then Airflow's metadata DB and
secrets backends) and opens the ordinary Tryton connector on it.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from connectors.tryton.manifest import TRYTON_BEHAVIOUR


class TrytonHook(BaseHook):
    """Opens an officebridge Tryton connector on an Airflow connection of type `tryton`."""

    conn_name_attr = "tryton_conn_id"
    default_conn_name = "tryton_default"
    conn_type = "tryton"
    hook_name = "Tryton"

    def __init__(self, tryton_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tryton_conn_id = tryton_conn_id
        self._connector: Any = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's labels and placeholders (Airflow reads them from the provider info first)."""
        return {
            "hidden_fields": TRYTON_BEHAVIOUR["hidden-fields"],
            "relabeling": TRYTON_BEHAVIOUR["relabeling"],
            "placeholders": TRYTON_BEHAVIOUR["placeholders"],
        }

    def get_conn(self) -> Any:
        if self._connector is None:
            from connectors.tryton.connector import TrytonConnector  # noqa: PLC0415 - only when used
            from officebridge.connections import resolve_connection  # noqa: PLC0415

            self._connector = TrytonConnector(resolve_connection(self.tryton_conn_id))
        return self._connector

    def test_connection(self) -> tuple[bool, str]:
        """What the UI's Test button calls: log in and make one cheap call."""
        try:
            self.get_conn().check()
        except Exception as exc:  # the UI shows the reason instead of a traceback
            return False, f"{type(exc).__name__}: {exc}"
        return True, "Connection successfully tested"

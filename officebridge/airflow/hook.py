"""One Airflow hook for every connector that registers a connection type of its own.

Airflow's Connections form and its Test button import a hook class per
connection type and read `conn_type`, `hook_name`, `default_conn_name` and
`conn_name_attr` off it. Each connector declares those once, in its manifest's
`ConnectionContract`; a connector's hook is then one line
(`class AcmeHook(ConnectorHook, manifest=MANIFEST)`) and holds no client code:
it resolves the connection the way every officebridge run does (AIRFLOW_CONN_*
first, then Airflow's metadata DB and secrets backends) and opens the ordinary
connector on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseHook

from officebridge.connections import resolve_connection
from officebridge.connector import Connector, ConnectorManifest


class ConnectorHook(BaseHook):
    """Opens an officebridge connector on an Airflow connection of its system's type."""

    manifest: ClassVar[ConnectorManifest]
    conn_name_attr: ClassVar[str] = "conn_id"
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]

    def __init_subclass__(cls, *, manifest: ConnectorManifest, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.manifest = manifest
        cls.default_conn_name = manifest.connection.default_conn_id
        cls.conn_type = manifest.connection.conn_type
        cls.hook_name = manifest.connection.hook_name

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name
        self._connector: Connector | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's labels and placeholders (Airflow reads them from the provider info first)."""
        behaviour = cls.manifest.connection.behaviour
        return {
            "hidden_fields": list(behaviour.get("hidden-fields", [])),
            "relabeling": dict(behaviour.get("relabeling", {})),
            "placeholders": dict(behaviour.get("placeholders", {})),
        }

    def get_conn(self) -> Connector:
        if self._connector is None:
            self._connector = self.manifest.open(resolve_connection(self.conn_id))
        return self._connector

    def test_connection(self) -> tuple[bool, str]:
        """What the UI's Test button calls: log in and make one cheap call."""
        try:
            self.get_conn().check()
        except Exception as exc:  # the UI shows the reason instead of a traceback
            return False, f"{type(exc).__name__}: {exc}"
        return True, "Connection successfully tested"

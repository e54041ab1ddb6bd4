"""Airflow plugin: the officebridge "Syncs" view in Airflow's navigation.

Thin on purpose: the application lives in `officebridge.ui`; this file only
tells Airflow to mount it under /officebridge (`fastapi_apps`) and to show it
as a top-level "Syncs" entry whose page is that app in a frame
(`external_views`, Airflow 3.1+). Mapping files are read from
$OFFICEBRIDGE_MAPPINGS, else from mappings/ next to this plugins/ folder; the
state store is found as the CLI finds it (OFFICEBRIDGE_STATE_URL, else
$OFFICEBRIDGE_HOME/state.db).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin

from officebridge.ui import UIConfig, create_app

MOUNT = "/officebridge"
_config = UIConfig.from_env(Path(__file__).resolve().parent.parent / "mappings")


class OfficeBridgeSyncsPlugin(AirflowPlugin):
    name = "officebridge_syncs"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": create_app(_config), "url_prefix": MOUNT, "name": "officebridge syncs"},
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "Syncs",
            "href": f"{MOUNT.lstrip('/')}/syncs",  # relative: Airflow may sit under a sub-path
            "url_route": "syncs",
            "destination": "nav",
            "nav_top_level": True,
            "icon": f"{MOUNT.lstrip('/')}/static/syncs.svg",
        },
    ]

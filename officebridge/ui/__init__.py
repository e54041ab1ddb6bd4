"""The "Syncs" view: what ops engineers see of officebridge inside the Airflow UI.

A small FastAPI application (JSON API + server-rendered HTML, no build step)
that Airflow's plugin interface mounts into its API server. It reads the same
state store and mapping files as the CLI, so the view and `officebridge status`
always agree. This sub-package is the only part of `officebridge` that knows
Airflow's authentication; the pages and the JSON are built by plain functions
(`officebridge.ui.overview`) that know neither FastAPI nor Airflow.
"""

from __future__ import annotations

from officebridge.ui.app import UIConfig, create_app

__all__ = ["UIConfig", "create_app"]

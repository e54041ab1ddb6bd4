"""The Airflow hook of the `odoo` connection type (declared in connectors/odoo/manifest.py)."""

from __future__ import annotations

from connectors.odoo.manifest import MANIFEST
from officebridge.airflow.hook import ConnectorHook


class OdooHook(ConnectorHook, manifest=MANIFEST):
    """Opens an officebridge Odoo connector on an Airflow connection of type `odoo`."""

"""The Airflow hook of the `tryton` connection type (declared in connectors/tryton/manifest.py)."""

from __future__ import annotations

from connectors.tryton.manifest import MANIFEST
from officebridge.airflow.hook import ConnectorHook


class TrytonHook(ConnectorHook, manifest=MANIFEST):
    """Opens an officebridge Tryton connector on an Airflow connection of type `tryton`."""

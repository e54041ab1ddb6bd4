"""The Airflow hook of the `hubspot` connection type (declared in connectors/hubspot/manifest.py)."""

from __future__ import annotations

from connectors.hubspot.manifest import MANIFEST
from officebridge.airflow.hook import ConnectorHook


class HubSpotHook(ConnectorHook, manifest=MANIFEST):
    """Opens an officebridge HubSpot connector on an Airflow connection of type `hubspot`."""

"""Local emulation of HubSpot's CRM v3 API (see sandbox.py for the object, README.md for what it emulates)."""

from __future__ import annotations

from connectors.hubspot.sandbox.limits import LimitConfig
from connectors.hubspot.sandbox.sandbox import HubSpotSandbox

__all__ = ["HubSpotSandbox", "LimitConfig"]

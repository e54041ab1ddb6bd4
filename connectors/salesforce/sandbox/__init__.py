"""Local emulation of the Salesforce REST API (see sandbox.py for the object, README.md for usage)."""

from __future__ import annotations

from connectors.salesforce.sandbox.auth import DemoUser
from connectors.salesforce.sandbox.sandbox import SalesforceSandbox

__all__ = ["DemoUser", "SalesforceSandbox"]

"""Local emulation of the Zendesk Support API (see sandbox.py for the object, README.md for usage)."""

from __future__ import annotations

from connectors.zendesk.sandbox.auth import Agent
from connectors.zendesk.sandbox.sandbox import ZendeskSandbox

__all__ = ["Agent", "ZendeskSandbox"]

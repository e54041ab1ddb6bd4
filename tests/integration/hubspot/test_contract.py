"""The HubSpot connector against its sandbox: the generated contract suite."""

from connectors.hubspot.testing import HubSpotHarness
from officebridge.testing.contract import ConnectorContract


class TestHubSpotContract(ConnectorContract):
    harness_factory = HubSpotHarness

"""The Zendesk connector against its sandbox: the generated contract suite."""

from connectors.zendesk.testing import ZendeskHarness
from officebridge.testing.contract import ConnectorContract


class TestZendeskContract(ConnectorContract):
    harness_factory = ZendeskHarness

"""The Salesforce connector against its sandbox: the generated contract suite."""

from connectors.salesforce.testing import SalesforceHarness
from officebridge.testing.contract import ConnectorContract


class TestSalesforceContract(ConnectorContract):
    harness_factory = SalesforceHarness

"""The Odoo connector against its sandbox: the generated contract suite."""

from connectors.odoo.testing import OdooHarness
from officebridge.testing.contract import ConnectorContract


class TestOdooContract(ConnectorContract):
    harness_factory = OdooHarness

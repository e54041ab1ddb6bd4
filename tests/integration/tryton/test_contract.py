"""The Tryton connector against a real trytond: the generated contract suite."""

from connectors.tryton.testing import TrytonHarness
from officebridge.testing.contract import ConnectorContract


class TestTrytonContract(ConnectorContract):
    harness_factory = TrytonHarness

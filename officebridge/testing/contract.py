"""The generated contract suite: every promise of `officebridge.connector`, as tests.

A connector author writes (singer-sdk style) a harness and three lines:

    from officebridge.testing import ConnectorContract
    class TestMyContract(ConnectorContract):
        harness_factory = MyHarness

The `connector_harness` fixture (from the `officebridge.testing.plugin`
pytest plugin) starts the harness once per class and resets it before each
test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from officebridge.testing.contract_faults import FaultContract
from officebridge.testing.contract_read import ReadContract
from officebridge.testing.contract_setup import SetupContract
from officebridge.testing.contract_write import WriteContract
from officebridge.testing.harness import ConnectorHarness


class ConnectorContract(SetupContract, ReadContract, WriteContract, FaultContract):
    """Subclass as `Test...` and set `harness_factory`; every test is generated from the manifest."""

    harness_factory: ClassVar[Callable[[], ConnectorHarness]]


def contract_suite(factory: Callable[[], ConnectorHarness], name: str = "TestConnectorContract") -> type:
    """The suite as a new test class, for `TestMine = contract_suite(MyHarness)`."""
    return type(name, (ConnectorContract,), {"harness_factory": staticmethod(factory)})

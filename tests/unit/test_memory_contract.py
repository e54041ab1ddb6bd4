"""The memory reference connector passes the generated contract suite (in-process, no sandbox)."""

from officebridge.testing.contract import ConnectorContract
from officebridge.testing.memory.harness import MemoryHarness


class TestMemoryContract(ConnectorContract):
    harness_factory = MemoryHarness

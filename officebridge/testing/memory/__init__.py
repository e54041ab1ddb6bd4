"""The in-memory reference system and connector (`memory`): the contract with nothing in the way.

`memory_system(host)` creates (or finds) a system; a connection whose host
and schema name it reaches it. The connector passes the same generated
contract suite as the real connectors and makes the sync engine testable in
milliseconds.
"""

from officebridge.testing.memory.system import MemorySystem, find_system, forget_system, memory_system

__all__ = ["MemorySystem", "find_system", "forget_system", "memory_system"]

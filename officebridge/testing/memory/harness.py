"""The contract-suite harness of the memory connector: the pattern for any connector's harness."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import (
    BadSettings,
    ConnectorHarness,
    FaultInjector,
    WritableObject,
    with_changes,
)
from officebridge.testing.memory.connector import MemoryConnector
from officebridge.testing.memory.manifest import MANIFEST
from officebridge.testing.memory.system import MemorySystem, forget_system, memory_system

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


class MemoryHarness(ConnectorHarness):
    manifest = MANIFEST
    writable = WritableObject("account", text_field="name", other_field="city", key_field="external_ref")
    client_timeout = 0.3
    missing_id = "acc-99999999"
    unknown_object = "no_such_object"

    def __init__(self) -> None:
        self.host = f"contract-{uuid.uuid4().hex[:8]}"
        self.system: MemorySystem | None = None

    def start(self, workdir: Path) -> None:
        self.system = memory_system(self.host, password="s3cr3t/+=&é-" + uuid.uuid4().hex[:8])

    def stop(self) -> None:
        forget_system(self.host)

    def reset(self) -> None:
        self._system().reset()

    def _system(self) -> MemorySystem:
        assert self.system is not None, "start() first"
        return self.system

    def base_connection(self) -> Connection:
        conn = parse_connection("memory_contract", self._system().connection_value())
        return with_changes(conn, extra={"timeout": self.client_timeout})

    def connector(self, connection: Connection | None = None) -> Connector:
        return MemoryConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(login=None, extra={"timeout": "soon", "colour": "blue"})
        return BadSettings(conn, ("login", "timeout", "colour"))

    def unreachable(self) -> Connection:
        return self.connection(host=f"nowhere-{uuid.uuid4().hex[:8]}")

    def secrets(self) -> Sequence[str]:
        return [self._system().password]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        return self._system().insert(object_name, [dict(r) for r in rows])

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        return [r for r in self._system().rows(object_name) if r[field] == value]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        self._system().touch(object_name, list(ids), moment)

    def equals_filter(self, field: str, value: Any) -> Any:
        return [[field, "=", value]]

    def faults(self) -> FaultInjector | None:
        return self._system()

"""The contract-suite harness of the Odoo connector: its sandbox, started per test class.

Records are created and read back through an independent OdooRPC client, never
through the connector under test; faults come from the sandbox kit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.odoo.connector import OdooConnector
from connectors.odoo.manifest import MANIFEST, ODOO_DATETIME
from connectors.odoo.sandbox import OdooSandbox
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import BadSettings, FaultInjector, SandboxHarness, WritableObject

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


class OdooHarness(SandboxHarness[OdooSandbox]):
    manifest = MANIFEST
    writable = WritableObject("res.partner", text_field="name", other_field="city", key_field="ref")
    client_modules = ("odoorpc",)
    missing_id = "99999999"
    unknown_object = "no.such.model"

    sandbox_class = OdooSandbox

    def __init__(self) -> None:
        super().__init__()
        self._client: Any = None

    def after_reset(self) -> None:
        self._client = None  # a test may have expired every session, ours too

    def _rpc(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._client is None:
            import odoorpc  # noqa: PLC0415 - the client library, only when records are touched

            sb = self._sb()
            self._client = odoorpc.ODOO(sb.host, port=sb.port, timeout=10)
            self._client.login(sb.credentials.database, sb.credentials.login, sb.credentials.password)
        return self._client.execute_kw(model, method, list(args), kwargs)

    def base_connection(self) -> Connection:
        data = json.loads(self._sb().connection_value())
        data["extra"] = {**data["extra"], "timeout": self.client_timeout}
        return parse_connection("odoo_contract", json.dumps(data))

    def connector(self, connection: Connection | None = None) -> Connector:
        return OdooConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(schema=None, extra={"protocol": "xmlrpc", "timeout": "soon"})
        return BadSettings(conn, ("schema", "protocol", "timeout"))

    def secrets(self) -> Sequence[str]:
        return [self._sb().credentials.password]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        ids = self._rpc(object_name, "create", [dict(r) for r in rows])
        return [str(i) for i in (ids if isinstance(ids, list) else [ids])]

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        w = self.writable
        found = self._rpc(
            object_name,
            "search_read",
            [[field, "=", value]],
            fields=[w.text_field, w.other_field, "ref", "active"],
            context={"active_test": False},
        )
        return [{**r, "id": str(r["id"])} for r in found]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        stamp = moment.astimezone(UTC).strftime(ODOO_DATETIME)
        self._sb().set_write_date(object_name, [int(i) for i in ids], stamp)

    def equals_filter(self, field: str, value: Any) -> Any:
        return [[field, "=", value]]

    def faults(self) -> FaultInjector | None:
        return self._sb()

    def operation(self, verb: str, object_name: str) -> str:
        return {"login": "common.login", "read": f"{object_name}.search_read"}.get(
            verb, f"{object_name}.{verb}"
        )

"""The contract-suite harness of the HubSpot connector: its sandbox over HTTPS, started per test class.

Records are created and read back through the sandbox's store, never through
the connector under test. The harness's sandbox indexes writes for search at
once (lag 0) and has its rate limits off, so the generic tests measure the
contract, not HubSpot's timing; lag and limits have their own tests in
tests/integration/hubspot/test_connector.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.manifest import MANIFEST
from connectors.hubspot.sandbox import HubSpotSandbox, LimitConfig
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import BadSettings, FaultInjector, SandboxHarness, WritableObject

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


class HubSpotHarness(SandboxHarness[HubSpotSandbox]):
    manifest = MANIFEST
    writable = WritableObject(
        "companies", text_field="name", other_field="domain", key_field="officebridge_id"
    )
    client_modules = ("hubspot",)
    missing_id = "99999999999"
    unknown_object = "no_such_objects"
    lookup_settle = 0.0
    skips: Mapping[str, str] = {
        "fault.expire_sessions": "a private-app token has no session to renew; a revoked or expired token is "
        "refused as AuthenticationError (test_connector.py::test_expired_or_revoked_token)",
    }

    sandbox_class = HubSpotSandbox

    def prepare(self, sandbox: HubSpotSandbox) -> None:
        sandbox.search_lag = 0.0
        sandbox.set_limits(LimitConfig(enabled=False))

    def after_reset(self) -> None:
        self._sb().restore_token()  # a test may have revoked it

    def base_connection(self) -> Connection:
        data = json.loads(self._sb().connection_value())
        data["extra"] = {**data["extra"], "timeout": self.client_timeout, "search_per_second": 50}
        return parse_connection("hubspot_contract", json.dumps(data))

    def connector(self, connection: Connection | None = None) -> Connector:
        return HubSpotConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(password="", extra={"timeout": "soon", "ca_file": "/no/such/ca.pem"})
        return BadSettings(conn, ("password", "timeout", "ca_file"))

    def secrets(self) -> Sequence[str]:
        return [self._sb().token]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        return self._sb().insert(object_name, [dict(r) for r in rows])

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        wanted = None if value is None else str(value)
        return [
            {**props, "id": rid} for rid, props in self._sb().live(object_name) if props.get(field) == wanted
        ]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        self._sb().touch(object_name, list(ids), int(moment.timestamp() * 1000))

    def equals_filter(self, field: str, value: Any) -> Any:
        return [{"filters": [{"propertyName": field, "operator": "EQ", "value": value}]}]

    def faults(self) -> FaultInjector | None:
        return self._sb()

    def operation(self, verb: str, object_name: str) -> str:
        return {
            "login": "contacts.list",
            "read": f"{object_name}.search",
            "create": f"{object_name}.batch.create",
        }.get(verb, f"{object_name}.{verb}")

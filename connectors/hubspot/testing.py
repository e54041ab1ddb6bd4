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
from pathlib import Path
from typing import Any

from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.manifest import MANIFEST
from connectors.hubspot.sandbox import HubSpotSandbox, LimitConfig
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import BadSettings, ConnectorHarness, FaultInjector, WritableObject

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


class HubSpotHarness(ConnectorHarness):
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

    def __init__(self) -> None:
        self.sandbox: HubSpotSandbox | None = None

    def _sb(self) -> HubSpotSandbox:
        assert self.sandbox is not None, "start() first"
        return self.sandbox

    def start(self, workdir: Path) -> None:
        self.sandbox = HubSpotSandbox(workdir)
        self.sandbox.search_lag = 0.0
        self.sandbox.set_limits(LimitConfig(enabled=False))
        self.sandbox.start()

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()

    def reset(self) -> None:
        sb = self._sb()
        sb.clear_faults()
        sb.restore_token()
        sb.reset()
        sb.reset_stats()

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

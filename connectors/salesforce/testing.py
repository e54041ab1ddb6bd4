"""The contract-suite harness of the Salesforce connector: its sandbox, started per test class.

Records are created and read back through an independent simple-salesforce
client (logged in over the sandbox's own CA), never through the connector
under test; faults come from the sandbox kit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.manifest import MANIFEST
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import (
    BadSettings,
    FaultInjector,
    SandboxHarness,
    WritableObject,
    free_port,
)

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


def _soql_literal(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class SalesforceHarness(SandboxHarness[SalesforceSandbox]):
    manifest = MANIFEST
    writable = WritableObject("Account", text_field="Name", other_field="Site", key_field="External_Id__c")
    skips: Mapping[str, str] = {
        "op.archive": "Account has no IsActive / Active__c flag; Salesforce archives only objects with one"
    }
    client_modules = ("simple_salesforce",)
    missing_id = "001000000000000AAA"
    unknown_object = "No_Such_Object__c"

    sandbox_class = SalesforceSandbox

    def __init__(self) -> None:
        super().__init__()
        self._client: Any = None

    def after_reset(self) -> None:
        self._client = None  # a test may have expired every session, ours too

    def _sf(self) -> Any:
        if self._client is None:
            from simple_salesforce.api import Salesforce  # noqa: PLC0415 - only when records are touched
            from simple_salesforce.login import SalesforceLogin  # noqa: PLC0415

            from connectors.salesforce.session import VerifyingSession  # noqa: PLC0415

            sb = self._sb()
            session = VerifyingSession(str(sb.ca_file), 10.0)
            sid, instance = SalesforceLogin(
                username=sb.user.username,
                password=sb.user.password,
                security_token=sb.user.security_token,
                scratch_url=sb.url,
                session=session,
            )
            self._client = Salesforce(session_id=sid, instance=instance, session=session, version="59.0")
        return self._client

    def base_connection(self) -> Connection:
        data = json.loads(self._sb().connection_value())
        data["extra"] = {**data["extra"], "timeout": self.client_timeout}
        return parse_connection("sf_contract", json.dumps(data))

    def connector(self, connection: Connection | None = None) -> Connector:
        return SalesforceConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(login=None, extra={"version": "v59", "ca_file": "/nope/ca.pem"})
        return BadSettings(conn, ("login", "version", "ca_file"))

    def unreachable(self) -> Connection:
        return self.connection(extra={"instance_url": f"https://127.0.0.1:{free_port()}"})

    def secrets(self) -> Sequence[str]:
        user = self._sb().user
        return [user.password, user.security_token, user.password + user.security_token]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        sobject = getattr(self._sf(), object_name)
        return [str(sobject.create(dict(row))["id"]) for row in rows]

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        w = self.writable
        soql = (
            f"SELECT Id, {w.text_field}, {w.other_field}, {w.key_field} FROM {object_name} "
            f"WHERE {field} = {_soql_literal(value)}"
        )
        return [{**r, "id": r["Id"]} for r in self._sf().query_all(soql)["records"]]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        self._sb().touch(object_name, list(ids), moment)

    def equals_filter(self, field: str, value: Any) -> Any:
        return f"{field} = {_soql_literal(value)}"

    def faults(self) -> FaultInjector | None:
        return self._sb()

    def operation(self, verb: str, object_name: str) -> str:
        return {"login": "POST login", "read": "GET query", "create": "POST composite/sobjects"}[verb]

"""The contract-suite harness of the Zendesk connector: its sandbox, started per test class.

Records are created and read back through the sandbox's store, never through
the connector under test. `rows` gives live records only: a deleted user
(active false) or ticket (status "deleted") stays in Zendesk, readable, until
it is permanently deleted, but it is no longer live.

The suite reads right after it writes, which Zendesk's exports (holding changes
back for a minute) never allow, so the harness's sandbox runs with no export
lag; the lag itself is tested in `tests/integration/zendesk/test_connector.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.zendesk.connector import ZendeskConnector
from connectors.zendesk.manifest import MANIFEST
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.sandbox.objects import soft_deleted
from connectors.zendesk.sandbox.writer import Pending
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import BadSettings, FaultInjector, SandboxHarness, WritableObject

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


class ZendeskHarness(SandboxHarness[ZendeskSandbox]):
    manifest = MANIFEST
    # users: read through the cursor export (organizations have only the time-based one, whose
    # per-second pages cannot split records created in one second: a limit of Zendesk's, tested apart)
    writable = WritableObject("users", text_field="name", other_field="details", key_field="external_id")
    client_modules = ("zenpy",)
    missing_id = "99999999999"
    unknown_object = "no_such_objects"
    lookup_settle = 0.0
    skips: Mapping[str, str] = {
        "op.archive": "Zendesk has no archive (ARCHIVE is not declared)",
        "fault.expire_sessions": "API-token auth has no session to expire (OAuth expiry: test_connector.py)",
    }

    sandbox_class = ZendeskSandbox

    def prepare(self, sandbox: ZendeskSandbox) -> None:
        sandbox.store.export_lag = 0  # see the module docstring

    def base_connection(self) -> Connection:
        data = json.loads(self._sb().connection_value())
        token = data["extra"].pop("token")  # the API token in the password field (use_token), as Airflow does
        data["password"] = token
        extra = {"use_token": True, "timeout": self.client_timeout, "job_timeout": 10}
        data["extra"] = {**data["extra"], **extra}
        return parse_connection("zendesk_contract", json.dumps(data))

    def connector(self, connection: Connection | None = None) -> Connector:
        return ZendeskConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(host="", extra={"timeout": "soon", "ca_file": "/no/such/ca.pem"})
        return BadSettings(conn, ("host", "timeout", "ca_file"))

    def secrets(self) -> Sequence[str]:
        return [self._sb().agent.api_token]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        sb = self._sb()
        return [str(sb.writer.apply(object_name, Pending("create", dict(r))).record["id"]) for r in rows]

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        sb = self._sb()
        for _ in range(40):  # let queued bulk jobs finish first, as a reader of Zendesk would wait
            sb.jobs.advance()
            if not sb.jobs.pending():
                break
            time.sleep(0.05)
        found = sb.store.by_time(object_name, start=0, until=2**40, limit=10**6)
        live = [r for r in found if not soft_deleted(object_name, r.data)]
        return [{**r.data, "id": str(r.id)} for r in live if r.data.get(field) == value]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        sb = self._sb()
        for i in ids:
            record = sb.store.get(object_name, int(i))
            if record is not None:
                sb.store.save(object_name, record, at=moment.timestamp())

    def equals_filter(self, field: str, value: Any) -> Any:
        return None  # the incremental exports take no filter

    def faults(self) -> FaultInjector | None:
        return self._sb()

    def operation(self, verb: str, object_name: str) -> str:
        export = "incremental_time" if object_name == "organizations" else "incremental_cursor"
        return {"login": "users.me", "read": f"{object_name}.{export}",
                "create": f"{object_name}.create_many"}.get(verb, f"{object_name}.{verb}")  # fmt: skip

"""The contract-suite harness of the Tryton connector: a real trytond, started per test class.

Records are created and read back with raw JSON-RPC calls of the harness's own
(`requests`, not the connector under test); change stamps are set directly in
the server's SQLite file, which is how the suite gets many records sharing a
stamp. A real server has no fault injector: fault tests are skipped with that
reason (a lost answer is provoked for real with a proxy in
tests/integration/tryton). The writable object is `party.address` (party_name,
city), on a party seeded at start; it has no external-id field.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from connectors.tryton.codec import decode_hook, encode
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.manifest import MANIFEST
from connectors.tryton.server import TrytonServer
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.testing.harness import BadSettings, ConnectorHarness, WritableObject

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.05)


class TrytonHarness(ConnectorHarness):
    manifest = MANIFEST
    writable = WritableObject("party.address", text_field="party_name", other_field="city")
    # "fault": what officebridge.testing.support.need() looks up today; "faults": what its docs say
    skips = dict.fromkeys(
        ("faults", "fault"), "a real trytond has no fault injector (lost answers: tests/integration/tryton)"
    )
    client_modules = ("requests",)
    missing_id = "99999999"
    unknown_object = "no.such.model"
    client_timeout = 10.0

    def __init__(self) -> None:
        self.server: TrytonServer | None = None
        self.http = requests.Session()

    def start(self, workdir: Path) -> None:
        self.server = TrytonServer(workdir).start()
        self._login()
        party = self._call("party.party", "create", [{"name": "Contract suite owner"}])[0]
        self.writable = WritableObject("party.address", "party_name", "city", required={"party": party})

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def reset(self) -> None:
        """A real server keeps its data; every suite test tags its own records."""

    def _srv(self) -> TrytonServer:
        assert self.server is not None, "start() first"
        return self.server

    def _login(self) -> None:
        s = self._srv()
        uid, token, _ = self._post("common.db.login", [s.login, {"password": s.password}, "en"])
        pair = base64.b64encode(f"{s.login}:{uid}:{token}".encode()).decode()
        self.http.headers["Authorization"] = f"Session {pair}"
        self.context = self._post("model.res.user.get_preferences", [True, {}])

    def _post(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"id": 1, "method": method, "params": encode(params)})
        answer = self.http.post(
            self._srv().url, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        answer.raise_for_status()
        data = json.loads(answer.text, object_hook=decode_hook)
        if data.get("error"):
            raise AssertionError(f"harness call {method} failed: {data['error']}")
        return data["result"]

    def _call(self, model: str, method: str, *args: Any) -> Any:
        ctx = {k: self.context.get(k) for k in ("company", "language")}
        return self._post(f"model.{model}.{method}", [*args, {**ctx, "active_test": False}])

    def base_connection(self) -> Connection:
        value = self._srv().connection_value().replace("timeout=30", f"timeout={self.client_timeout:g}")
        return parse_connection("tryton_contract", value)

    def connector(self, connection: Connection | None = None) -> Connector:
        return TrytonConnector(connection or self.base_connection(), retry_policy=FAST)

    def bad_settings(self) -> BadSettings:
        conn = self.connection(schema=None, extra={"protocol": "xmlrpc", "timeout": "soon"})
        return BadSettings(conn, ("schema", "protocol", "timeout"))

    def secrets(self) -> Sequence[str]:
        return [self._srv().password]

    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        return [str(i) for i in self._call(object_name, "create", [dict(r) for r in rows])]

    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        w = self.writable
        found = self._call(object_name, "search_read", [[field, "=", value]], 0, None, None,
                           [w.text_field, w.other_field, "active"])  # fmt: skip
        return [{**r, "active": bool(r.get("active", True)), "id": str(r["id"])} for r in found]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        # as Python's sqlite3 adapter stores datetimes for trytond (no ".000000" for whole seconds)
        stamp = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        db = self._srv().workdir / "db" / f"{self._srv().database}.sqlite"
        with sqlite3.connect(db, timeout=30) as sql:
            sql.execute(f'UPDATE "{object_name.replace(".", "_")}" SET write_date = ? WHERE id IN '
                        f"({','.join('?' * len(ids))})", [stamp, *map(int, ids)])  # fmt: skip

    def equals_filter(self, field: str, value: Any) -> Any:
        return [[field, "=", value]]

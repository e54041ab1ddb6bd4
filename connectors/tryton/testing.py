"""The contract-suite harness of the Tryton connector: a real trytond, started per test class.

Records are created and read back with raw JSON-RPC calls of the harness's own
(`requests`, straight to the server, not the connector under test); change
stamps are set directly in the server's SQLite file, which is how the suite
gets many records sharing a stamp. The connector under test talks to the server
through the kit's `FaultProxy`, which names each request by its JSON-RPC method
(`rpc_operation`), so the generated fault tests run against the real server.
Sessions are expired for real, by deleting the server's `ir_session` rows (a
real trytond then answers 401, as after its own timeout); `record_error` stays
unsupported (only Tryton's own validation could refuse one record).

The writable object is `sale.sale` (description, comment) keyed by `reference`,
on a party seeded at start: it is the one writable model whose free text key is
what a shipped mapping upserts by (the Salesforce Opportunity Id). Parties have
a truly unique `code` (SQL constraint `code_uniq`) but no second writable text
field the suite could filter on (phone, email... are function fields without a
searcher), and a sale has no `active` field, so archive is declared unsupported
here and tested on parties in tests/integration/tryton.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import requests

from connectors.tryton.codec import decode_hook, encode
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.manifest import MANIFEST
from connectors.tryton.server import TrytonServer
from officebridge.connections import Connection, parse_connection
from officebridge.connector import Connector
from officebridge.retry import RetryPolicy
from officebridge.sandboxkit.proxy import FaultProxy
from officebridge.sandboxkit.vocabulary import UNSET, Times
from officebridge.sandboxkit.wire import Request
from officebridge.testing.harness import BadSettings, ConnectorHarness, FaultInjector, WritableObject

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.05)


def rpc_operation(request: Request) -> str | None:
    """A JSON-RPC request's method (`model.party.party.create`, `common.db.login`), or None."""
    try:
        method = json.loads(request.body).get("method")
    except (ValueError, AttributeError):
        return None
    return method if isinstance(method, str) else None


class TrytonFaults:
    """The proxy's faults, plus `expire_sessions` done for real: the server's sessions are deleted."""

    def __init__(self, proxy: FaultProxy, database: Path, relogin: Callable[[], None]) -> None:
        self.proxy = proxy
        self.database = database
        self.relogin = relogin  # the harness's own session went too

    def add_fault(self, kind: str, *, times: Times = UNSET, path: str | None = None, **params: Any) -> None:
        if kind == "expire_sessions":  # every session the server issued is gone from now on
            with sqlite3.connect(self.database, timeout=30) as sql:
                sql.execute("DELETE FROM ir_session")
            self.relogin()
            return
        self.proxy.add_fault(kind, times=times, path=path, **params)

    def clear_faults(self) -> None:
        self.proxy.clear_faults()

    def stats(self) -> dict[str, Any]:
        return self.proxy.stats()

    def reset_stats(self) -> None:
        self.proxy.reset_stats()


class TrytonHarness(ConnectorHarness):
    manifest = MANIFEST
    writable = WritableObject(
        "sale.sale", text_field="description", other_field="comment", key_field="reference"
    )
    skips = MappingProxyType(
        {
            "fault.record_error": "only Tryton's own validation refuses one record; the proxy cannot",
            "op.archive": "sale.sale has no active field (archive: party.party in tests/integration/tryton)",
        }
    )
    client_modules = ("requests",)
    missing_id = "99999999"
    unknown_object = "no.such.model"
    client_timeout = 5.0

    def __init__(self) -> None:
        self.server: TrytonServer | None = None
        self.proxy: FaultProxy | None = None
        self.http = requests.Session()

    def start(self, workdir: Path) -> None:
        self.server = TrytonServer(workdir).start()
        self.proxy = FaultProxy(f"http://{self.server.host}:{self.server.port}", rpc_operation).start()
        self._login()
        party = self._call("party.party", "create", [{"name": "Contract suite owner"}])[0]
        w = self.writable
        self.writable = WritableObject(w.name, w.text_field, w.other_field, w.key_field, {"party": party})

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        if self.server is not None:
            self.server.stop()

    def reset(self) -> None:
        """No faults, zero stats; a real server keeps its data: every suite test tags its own records."""
        if self.proxy is not None:
            self.proxy.clear_faults()
            self.proxy.reset_stats()

    def faults(self) -> FaultInjector | None:
        assert self.proxy is not None, "start() first"
        return TrytonFaults(self.proxy, self._database(), self._login)

    def operation(self, verb: str, object_name: str) -> str:
        method = {"login": "common.db.login", "read": f"model.{object_name}.search_read"}.get(verb)
        return method or f"model.{object_name}.{verb}"

    def _database(self) -> Path:
        return self._srv().workdir / "db" / f"{self._srv().database}.sqlite"

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
        s, proxy = self._srv(), self.proxy
        assert proxy is not None, "start() first"
        value = s.connection_value().replace("timeout=30", f"timeout={self.client_timeout:g}")
        return parse_connection("tryton_contract", value.replace(f":{s.port}/", f":{proxy.port}/"))

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
        wanted = [w.text_field, w.other_field, *([w.key_field] if w.key_field else [])]
        has_active = "active" in self._call(object_name, "fields_get", ["active"])
        found = self._call(object_name, "search_read", [[field, "=", value]], 0, None, None,
                           [*wanted, *(["active"] if has_active else [])])  # fmt: skip
        live = [r for r in found if r.get("active", True)]  # `rows` are the live records
        return [{**r, "active": True, "id": str(r["id"])} for r in live]

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        # as Python's sqlite3 adapter stores datetimes for trytond (no ".000000" for whole seconds)
        stamp = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        with sqlite3.connect(self._database(), timeout=30) as sql:
            sql.execute(f'UPDATE "{object_name.replace(".", "_")}" SET write_date = ? WHERE id IN '
                        f"({','.join('?' * len(ids))})", [stamp, *map(int, ids)])  # fmt: skip

    def equals_filter(self, field: str, value: Any) -> Any:
        return [[field, "=", value]]

"""A local Odoo 17 server for tests, demos and analysts: JSON-RPC over HTTP on SQLite.

OdooRPC (and anything else speaking Odoo's external API) works against it
unmodified: version probe, login, `execute_kw` on res.partner and friends,
with Odoo's domains, ordering, active_test, write_date and error payloads.
Lifecycle, faults, sessions, stats and admin routes come from the sandbox kit;
this package holds only what is Odoo's (see README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from connectors.odoo.sandbox import server
from connectors.odoo.sandbox.exceptions import OdooServerError, SessionExpired, by_code
from connectors.odoo.sandbox.rpc import VERSION_INFO, Credentials, Dispatcher
from connectors.odoo.sandbox.seed import load_base, reset_base, seed_demo
from connectors.odoo.sandbox.store import Store
from officebridge.sandboxkit import Answer, Call, Request, SandboxBase

__all__ = ["DATABASE", "LOGIN", "PASSWORD", "OdooSandbox"]

DATABASE = "officebridge"
LOGIN = "admin"
PASSWORD = "sandbox-pass"


class OdooSandbox(SandboxBase):
    """One emulated Odoo server: SQLite file `<home>/odoo.sqlite`, HTTP on a loopback port."""

    system: ClassVar[str] = "odoo"
    default_port: ClassVar[int] = 8069
    server_header = "Werkzeug/3.0.1 Python/3.11"

    def __init__(
        self,
        home: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        database: str = DATABASE,
        login: str = LOGIN,
        password: str = PASSWORD,
    ) -> None:
        super().__init__(home, host, port)
        self.credentials = Credentials(database, login, password)
        self.store = Store(self.home / "odoo.sqlite")
        load_base(self.store)
        self.dispatcher = Dispatcher(self.store, self.credentials)

    # -- data ---------------------------------------------------------------------

    def reset(self) -> None:
        """Drop all business data; countries, states, industries, users and models stay."""
        self.store.drop_data(keep_reference=True)
        reset_base(self.store)

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        """Replace business data by a deterministic back office of `accounts` companies and contacts."""
        return seed_demo(self.store, accounts, seed)

    def register_payment(self, move_id: int, amount: float) -> None:
        """A customer payment on a posted invoice (Python only; real Odoo uses its payment wizard)."""
        from connectors.odoo.sandbox.env import Env  # noqa: PLC0415
        from connectors.odoo.sandbox.invoicing import register_payment  # noqa: PLC0415

        with self.store.transaction() as conn:
            register_payment(Env(conn, self.credentials.uid), move_id, amount)

    def set_write_date(self, model: str, ids: list[int], value: str) -> None:
        """Force write_date (naive UTC "YYYY-MM-DD HH:MM:SS"), e.g. to make records share one stamp."""
        from connectors.odoo.sandbox.catalog import table_of  # noqa: PLC0415

        with self.store.transaction() as conn:
            marks = ",".join("?" * len(ids))
            conn.execute(
                f'UPDATE "{table_of(model)}" SET write_date = ? WHERE id IN ({marks})', [value, *ids]
            )

    def connection_value(self) -> str:
        return json.dumps(
            {
                "conn_type": "odoo",
                "host": self.host,
                "port": self.port,
                "login": self.credentials.login,
                "password": self.credentials.password,
                "schema": self.credentials.database,
                "extra": {"protocol": "jsonrpc"},
            }
        )

    def stats(self) -> dict[str, Any]:
        """The kit's stats, plus `by_method`: the older name of `by_operation`, kept for callers."""
        stats = super().stats()
        return {**stats, "by_method": stats["by_operation"]}

    # -- the wire -----------------------------------------------------------------

    def admit(self, request: Request) -> Call:
        return server.describe(request)

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        return server.too_many_requests()

    def answer(self, request: Request, call: Call) -> Answer:
        body = server.rpc_body(request)
        req_id = body.get("id")
        if request.path == server.VERSION_PATH and request.method == "POST":
            return server.envelope(req_id, result=dict(VERSION_INFO))
        if request.path != "/jsonrpc" or request.method != "POST":
            return server.not_found(request, req_id)
        params = body.get("params") or {}
        service, method = str(params.get("service")), str(params.get("method"))
        try:
            if call.uses_session and self.sessions.expired(server.session_id(request)):
                raise SessionExpired()
            args = list(params.get("args") or [])
            result = self.dispatcher.dispatch(service, method, args, self._record_check)
        except Exception as exc:
            return server.envelope(req_id, error=server.error_payload(exc))
        headers = {}
        if service == "common" and method in ("login", "authenticate") and result:
            headers["Set-Cookie"] = f"session_id={self.sessions.issue()}; HttpOnly; Path=/; SameSite=Lax"
        answer = server.envelope(req_id, result=result)
        return Answer(answer.status, answer.body, answer.content_type, headers)

    def _record_check(self, model: str, values: dict[str, Any]) -> OdooServerError | None:
        refusal = self.faults.refusal(model, values)
        if refusal is None:
            return None
        message = refusal.message or f"Invalid value for field {refusal.field!r}: {refusal.value!r}"
        return by_code(refusal.code or "ValidationError", message)

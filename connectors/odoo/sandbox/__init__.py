"""A local Odoo 17 server for tests, demos and analysts: JSON-RPC over HTTP on SQLite.

OdooRPC (and anything else speaking Odoo's external API) works against it
unmodified: version probe, login, `execute_kw` on res.partner and friends,
with Odoo's domains, ordering, active_test, write_date and error payloads.
The `OdooSandbox` class is the sandbox contract shared by every SaaS sandbox
(start/stop, reset/seed, faults, stats); see `server.py` for the wire side.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from connectors.odoo.sandbox.faults import FaultBook
from connectors.odoo.sandbox.rpc import Credentials, Dispatcher
from connectors.odoo.sandbox.seed import load_base, reset_base, seed_demo
from connectors.odoo.sandbox.server import SandboxHTTPServer, Sessions
from connectors.odoo.sandbox.store import Store

__all__ = ["DATABASE", "LOGIN", "PASSWORD", "OdooSandbox"]

DATABASE = "officebridge"
LOGIN = "admin"
PASSWORD = "sandbox-pass"


class OdooSandbox:
    """One emulated Odoo server: SQLite file `<home>/odoo.sqlite`, HTTP on a loopback port."""

    default_port = 8069  # `officebridge sandbox up` uses it unless told otherwise

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
        self.home = Path(home)
        self.host = host
        self.port = port
        self.credentials = Credentials(database, login, password)
        self.store = Store(self.home / "odoo.sqlite")
        load_base(self.store)
        self.book = FaultBook()
        self.sessions = Sessions()
        self.dispatcher = Dispatcher(self.store, self.credentials)
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Serve in a background thread; returns once the socket listens."""
        if self._httpd is not None:
            return
        self._httpd = SandboxHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="odoo-sandbox", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command line uses this)."""
        self._httpd = SandboxHTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- data ---------------------------------------------------------------------

    def reset(self) -> None:
        """Drop all business data; countries, states, industries, users and models stay."""
        self.store.drop_data(keep_reference=True)
        reset_base(self.store)

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        """Replace business data by a deterministic back office of `accounts` companies and contacts."""
        return seed_demo(self.store, accounts, seed)

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

    # -- faults and statistics ----------------------------------------------------

    def add_fault(self, kind: str, times: int | None = None, path: str | None = None, **params: Any) -> None:
        """Inject a fault; `times` defaults to 1 (record_error: until cleared)."""
        self.book.add(kind, times, path, **params)

    def clear_faults(self) -> None:
        self.book.clear()

    def stats(self) -> dict[str, Any]:
        return self.book.stats()

    def reset_stats(self) -> None:
        self.book.reset_stats()

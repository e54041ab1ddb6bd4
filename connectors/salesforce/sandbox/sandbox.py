"""The SalesforceSandbox object: the Python face of the sandbox (start, stop, seed, faults).

It wires the parts together (schema catalog, SQLite store, writer, query engine,
REST routes, sessions, faults, stats, TLS) and implements the sandbox contract
shared by all SaaS sandboxes, so tests, benchmarks and the CLI drive it the same way.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.salesforce.sandbox.auth import DemoUser
from connectors.salesforce.sandbox.control import REQUEST, Faults, Sessions, Stats
from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.query import QueryEngine
from connectors.salesforce.sandbox.records import Writer
from connectors.salesforce.sandbox.rest import RestApi
from connectors.salesforce.sandbox.schema import API_VERSION, ObjectSpec, load_catalog
from connectors.salesforce.sandbox.seed import seed as seed_data
from connectors.salesforce.sandbox.server import make_server
from connectors.salesforce.sandbox.store import DEMO_USER_ID, Store, format_datetime, q
from connectors.salesforce.sandbox.tls import ensure_tls, server_context
from connectors.salesforce.sandbox.user import demo_user_row
from connectors.salesforce.sandbox.values import parse_datetime_text

USER_SINCE = "2024-01-02T09:00:00.000+0000"  # fixed, so the demo user looks the same in every sandbox


class SalesforceSandbox:
    """A local Salesforce REST API over HTTPS, backed by `<home>/salesforce.sqlite`."""

    default_port = 8443  # `officebridge sandbox up` uses it unless told otherwise

    def __init__(
        self, home: Path, host: str = "127.0.0.1", port: int = 0, user: DemoUser | None = None
    ) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self.user = user or DemoUser()
        self.ca_file, _, _ = ensure_tls(self.home)
        self.store = Store(self.home / "salesforce.sqlite", load_catalog())
        self._ensure_user()
        self.sessions = Sessions()
        self.faults = Faults()
        self.stats_tracker = Stats()
        self.writer = Writer(self.store, self._record_fault)
        self.queries = QueryEngine(self.store)
        self.rest = RestApi(self.store, self.writer, self.queries)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> SalesforceSandbox:
        with self._lock:
            if self._server is None:
                self._server = make_server(self.host, self.port, server_context(self.home), self)
                self.port = self._server.server_address[1]
                self._thread = threading.Thread(
                    target=self._server.serve_forever, name=f"sf-sandbox-{self.port}", daemon=True
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # -- data ---------------------------------------------------------------------------------
    def reset(self) -> None:
        self.store.reset()
        self._ensure_user()
        self.queries.clear()

    def _ensure_user(self) -> None:
        """The demo user is reference data: every record's owner, so it survives reset()."""
        spec = self.store.catalog.objects["User"]
        with self.store.transaction():
            if self.store.get_row(spec, DEMO_USER_ID) is None:
                row = demo_user_row(DEMO_USER_ID, self.user.username, USER_SINCE)
                self.store.insert_rows(spec, [row])

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        return seed_data(self.store, accounts=accounts, seed=seed)

    def seed_accounts_only(self, accounts: int, seed: int = 7) -> dict[str, int]:
        """Benchmark helper: N accounts, no contacts."""
        return seed_data(self.store, accounts=accounts, seed=seed, contacts=False)

    def touch(self, object_name: str, ids: list[str], at: datetime | str) -> int:
        """Set SystemModstamp (and LastModifiedDate) of records explicitly, e.g. to make them share one."""
        spec = self._spec(object_name)
        stamp = format_datetime(parse_datetime_text(at) if isinstance(at, str) else at)
        full = [normalize_id(i) for i in ids]
        marks = ", ".join("?" for _ in full)
        return self.store.execute(
            f'UPDATE {q(spec.name)} SET "SystemModstamp" = ?, "LastModifiedDate" = ? WHERE "Id" IN ({marks})',
            [stamp, stamp, *full],
        )

    def hard_delete(self, object_name: str, ids: list[str]) -> int:
        """Remove records entirely (as emptying the recycle bin does): even queryAll no longer sees them."""
        spec = self._spec(object_name)
        full = [normalize_id(i) for i in ids]
        return self.store.execute(
            f'DELETE FROM {q(spec.name)} WHERE "Id" IN ({", ".join("?" for _ in full)})', full
        )

    def _spec(self, name: str) -> ObjectSpec:
        spec = self.store.catalog.get(name)
        if spec is None:
            raise ValueError(f"unknown sObject {name!r}")
        return spec

    # -- connection ---------------------------------------------------------------------------
    def connection_value(self) -> str:
        return json.dumps(
            {
                "conn_type": "salesforce",
                "login": self.user.username,
                "password": self.user.password,
                "extra": {
                    "security_token": self.user.security_token,
                    "instance_url": self.url,
                    "ca_file": str(self.ca_file),
                    "version": API_VERSION,
                },
            }
        )

    # -- faults and stats ---------------------------------------------------------------------
    def add_fault(self, kind: str, times: int | None = None, path: str | None = None, **params: Any) -> None:
        self.faults.add(kind, times, path, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stats(self) -> dict[str, Any]:
        return self.stats_tracker.snapshot()

    def reset_stats(self) -> None:
        self.stats_tracker.reset()

    def _record_fault(self, spec: ObjectSpec, row: dict[str, Any]) -> SfError | None:
        return self.faults.record_error(getattr(REQUEST, "path", ""), spec, row)

    def __enter__(self) -> SalesforceSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

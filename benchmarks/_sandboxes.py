"""Both sandboxes, wired up the way the sync benchmarks need them.

The sync and memory benchmarks start the same pair (Salesforce seeded with N
bare Accounts, Odoo emptied of business data), point the Airflow connection
variables at them, count HTTP calls across both, and read back the companies
the sync produced so a result is only reported after it is checked.

By default each sandbox serves from its own child process
(`python -m connectors.<system>.sandbox serve`, the way `officebridge sandbox
up` runs them), as the real services are other machines: the client's CPU and
each server's CPU are then separate, as they are in production, and a
contender that overlaps its calls gains what it would gain against the real
systems. `remote=False` keeps both servers in the benchmark's process (one
interpreter, one GIL: every call costs the client's CPU too), the layout of
the 2026-12-01 figures. The seeding and the direct edits of the Salesforce
store go through the SQLite files both processes share; statistics and resets
go through the `/_sandbox/` admin routes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import odoorpc
import requests

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.sandboxes import stop_process

MAPPING = Path(__file__).resolve().parent.parent / "mappings" / "salesforce_account_to_odoo.yaml"
# The Odoo fields the shipped Account mapping writes: what two syncs must agree on.
COMPANY_FIELDS = ["ref", "name", "is_company", "street", "city", "zip", "country_id", "phone", "website",
                  "comment", "customer_rank"]  # fmt: skip


@dataclass
class Pair:
    sf: SalesforceSandbox
    odoo: OdooSandbox
    remote: bool = False  # each sandbox serves from a child process: admin calls go over HTTP
    _admin: requests.Session = field(default_factory=requests.Session)

    def _call(self, box: SalesforceSandbox | OdooSandbox, method: str, route: str) -> Any:
        verify = str(box.ca_file) if isinstance(box, SalesforceSandbox) else True
        answer = self._admin.request(method, f"{box.url}/_sandbox/{route}", verify=verify, timeout=600)
        answer.raise_for_status()
        return answer.json()

    def stats(self, box: SalesforceSandbox | OdooSandbox) -> dict[str, Any]:
        return dict(self._call(box, "GET", "stats")) if self.remote else box.stats()

    def reset_stats(self) -> None:
        for box in (self.sf, self.odoo):
            self._call(box, "DELETE", "stats") if self.remote else box.reset_stats()

    def requests(self) -> int:
        """HTTP calls both sandboxes answered since the last reset_stats()."""
        return self.sf_requests() + self.odoo_requests()

    def sf_requests(self) -> int:
        return int(self.stats(self.sf)["requests"])

    def odoo_requests(self) -> int:
        return int(self.stats(self.odoo)["requests"])

    def fresh_odoo(self) -> None:
        if self.remote:
            self._call(self.odoo, "POST", "reset")
        else:
            self.odoo.reset()
        self.reset_stats()

    def odoo_client(self) -> Any:
        client = odoorpc.ODOO(self.odoo.host, port=self.odoo.port, timeout=600)
        creds = self.odoo.credentials
        client.login(creds.database, creds.login, creds.password)
        return client

    def companies(self) -> dict[str, dict[str, Any]]:
        """Every company in Odoo keyed by ref, with the mapped fields (stats are not reset: call before)."""
        client = self.odoo_client()
        rows = client.execute_kw(
            "res.partner",
            "search_read",
            [[("is_company", "=", True), ("ref", "!=", False)]],
            {"fields": COMPANY_FIELDS},
        )
        client.logout()
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            row.pop("id", None)
            country = row.get("country_id")
            row["country_id"] = country[0] if isinstance(country, list) else country
            ref = row["ref"]
            if ref in out:
                raise AssertionError(f"two Odoo companies carry ref {ref!r}")
            out[ref] = row
        return out

    def account_ids(self) -> set[str]:
        """The Ids of the live Accounts in the Salesforce sandbox, straight from its store."""
        return {row[0] for row in self.sf.store.query('SELECT "Id" FROM "Account" WHERE NOT "IsDeleted"')}


def _serve(box: SalesforceSandbox | OdooSandbox, log: Path) -> subprocess.Popen[bytes]:
    """Start `box`'s server in a child process on a free port; `box.port` becomes that port."""
    cmd = [
        sys.executable,
        "-m",
        f"connectors.{box.system}.sandbox",
        "serve",
        "--home",
        str(box.home),
        "--host",
        box.host,
        "--port",
        "0",
    ]
    with log.open("ab") as sink:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sink, start_new_session=True)
    assert proc.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=120)
    if not line or not line[0].strip():
        stop_process(proc)
        raise RuntimeError(f"the {box.system} sandbox did not start; see {log}")
    value = json.loads(line[0])
    url = value.get("extra", {}).get("instance_url") or f"http://{value['host']}:{value['port']}"
    box.port = int(url.rsplit(":", 1)[1])
    return proc


@contextmanager
def sandboxes(home: Path, accounts: int, seed: int = 7, *, remote: bool = True) -> Iterator[Pair]:
    """Seed `accounts` Accounts (no Contacts), start both servers, export their connections."""
    sf = SalesforceSandbox(home / "salesforce")
    sf.seed_accounts_only(accounts, seed=seed)
    odoo = OdooSandbox(home / "odoo")
    odoo.reset()
    with ExitStack() as stack:
        if remote:
            for box in (sf, odoo):
                proc = _serve(box, home / f"{box.system}.log")
                stack.callback(stop_process, proc, 15.0)
        else:
            for box in (sf, odoo):
                box.start()
                stack.callback(box.stop)
        with _exported(sf, odoo):
            yield Pair(sf, odoo, remote=remote)


@contextmanager
def _exported(sf: SalesforceSandbox, odoo: OdooSandbox) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ["AIRFLOW_CONN_SALESFORCE_DEFAULT"] = sf.connection_value()
    os.environ["AIRFLOW_CONN_ODOO_DEFAULT"] = odoo.connection_value()
    os.environ["OFFICEBRIDGE_NO_AIRFLOW_LOOKUP"] = "1"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_ENV = ("AIRFLOW_CONN_SALESFORCE_DEFAULT", "AIRFLOW_CONN_ODOO_DEFAULT", "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP")

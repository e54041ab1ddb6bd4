"""Both sandboxes in this process, wired up the way the sync benchmarks need them.

The sync and memory benchmarks start the same pair (Salesforce seeded with N
bare Accounts, Odoo emptied of business data), point the Airflow connection
variables at them, count HTTP calls across both, and read back the companies
the sync produced so a result is only reported after it is checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import odoorpc

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox

MAPPING = Path(__file__).resolve().parent.parent / "mappings" / "salesforce_account_to_odoo.yaml"
# The Odoo fields the shipped Account mapping writes: what two syncs must agree on.
COMPANY_FIELDS = ["ref", "name", "is_company", "street", "city", "zip", "country_id", "phone", "website",
                  "comment", "customer_rank"]  # fmt: skip


@dataclass
class Pair:
    sf: SalesforceSandbox
    odoo: OdooSandbox

    def reset_stats(self) -> None:
        self.sf.reset_stats()
        self.odoo.reset_stats()

    def requests(self) -> int:
        """HTTP calls both sandboxes answered since the last reset_stats()."""
        return int(self.sf.stats()["requests"]) + int(self.odoo.stats()["requests"])

    def fresh_odoo(self) -> None:
        self.odoo.reset()
        self.odoo.reset_stats()

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


@contextmanager
def sandboxes(home: Path, accounts: int, seed: int = 7) -> Iterator[Pair]:
    """Seed `accounts` Accounts (no Contacts), start both servers, export their connections."""
    sf = SalesforceSandbox(home / "salesforce")
    sf.seed_accounts_only(accounts, seed=seed)
    odoo = OdooSandbox(home / "odoo")
    odoo.reset()
    sf.start()
    odoo.start()
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ["AIRFLOW_CONN_SALESFORCE_DEFAULT"] = sf.connection_value()
    os.environ["AIRFLOW_CONN_ODOO_DEFAULT"] = odoo.connection_value()
    os.environ["OFFICEBRIDGE_NO_AIRFLOW_LOOKUP"] = "1"
    try:
        yield Pair(sf, odoo)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sf.stop()
        odoo.stop()


_ENV = ("AIRFLOW_CONN_SALESFORCE_DEFAULT", "AIRFLOW_CONN_ODOO_DEFAULT", "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP")

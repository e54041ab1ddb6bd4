"""A bridge between the two sandboxes: both systems fresh, connections set, a state store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import run_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
CONTACTS = MAPPINGS / "salesforce_contact_to_odoo.yaml"
CREDIT = MAPPINGS / "odoo_credit_to_salesforce.yaml"


@dataclass
class Bridge:
    sf: SalesforceSandbox
    odoo: OdooSandbox
    sf_client: Salesforce
    odoo_client: Any
    store: StateStore

    def run(self, mapping: Path, **options: Any) -> RunResult:
        return run_mapping(mapping, self.store, RunOptions(**options))

    def partners(self, domain: list[Any], fields: list[str] | None = None) -> list[dict[str, Any]]:
        """What Odoo holds, archived records included, read through OdooRPC."""
        return self.odoo_client.execute_kw(
            "res.partner",
            "search_read",
            [domain],
            {"fields": fields or ["ref", "name", "active"], "context": {"active_test": False}},
        )

    def synced_partners(self, prefix: str = "001") -> list[dict[str, Any]]:
        return self.partners(
            [["ref", "=like", f"{prefix}%"]],
            ["ref", "name", "active", "parent_id", "country_id", "email", "customer_rank"],
        )

    def sf_count(self, obj: str) -> int:
        return int(self.sf_client.query(f"SELECT COUNT() FROM {obj}")["totalSize"])

    def sf_records(self, soql: str) -> list[dict[str, Any]]:
        return list(self.sf_client.query_all_iter(soql))


@pytest.fixture
def bridge_on(  # noqa: PLR0917 - pytest passes fixtures by position
    sf_sandbox_fresh: SalesforceSandbox,
    odoo_fresh: OdooSandbox,
    sf_conn_env: str,
    odoo_conn_env: str,
    sf_client: Salesforce,
    odoo_client: Any,
) -> Any:
    def make(store: StateStore) -> Bridge:
        return Bridge(sf_sandbox_fresh, odoo_fresh, sf_client, odoo_client, store)

    return make


@pytest.fixture
def bridge(bridge_on: Any, sqlite_state_url: str) -> Iterator[Bridge]:
    """Both sandboxes fresh, the connections set, a SQLite state store."""
    store = StateStore.open(sqlite_state_url)
    yield bridge_on(store)
    store.close()


@pytest.fixture
def bridge_any_store(bridge_on: Any, state_store: StateStore) -> Bridge:
    """The same, once on SQLite and once on PostgreSQL."""
    return bridge_on(state_store)


NO_OVERLAP = timedelta(0)

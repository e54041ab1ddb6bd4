"""A wrong-shaped answer stops the run with a clear error and leaves state as it was.

The credit sync reads Odoo; when Odoo's `search_read` answers something that is
not a list of rows, the run fails with a RemoteProtocolError naming the call,
the watermark does not move, nothing is written to Salesforce, and the next
calm run moves exactly the changes it would have moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.odoo.sandbox import OdooSandbox
from officebridge.errors import RemoteProtocolError
from officebridge.state import StateStore
from officebridge.sync.runner import run_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
CREDIT = MAPPINGS / "odoo_credit_to_salesforce.yaml"
SYNC = "odoo_credit_to_salesforce"


@dataclass
class World:
    odoo: OdooSandbox
    sf_client: Any
    odoo_client: Any
    state_url: str


@pytest.fixture
def world(request: pytest.FixtureRequest, odoo_fresh: OdooSandbox, sqlite_state_url: str) -> World:
    """Both sandboxes fresh, their AIRFLOW_CONN_* set, a client on each, an empty state store."""
    for name in ("sf_sandbox_fresh", "sf_conn_env", "odoo_conn_env"):
        request.getfixturevalue(name)
    clients = [request.getfixturevalue(name) for name in ("sf_client", "odoo_client")]
    return World(odoo_fresh, clients[0], clients[1], sqlite_state_url)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"jsonrpc": "2.0", "id": 1, "result": {"records": []}}, "application/json"),
        ("<html><body>Bad gateway</body></html>", "text/html"),
    ],
    ids=["dict-not-list", "html-page"],
)
def test_a_wrong_shaped_read_moves_no_watermark_and_writes_nothing(
    world: World, body: Any, content_type: str
) -> None:
    sf_client, odoo_client, odoo_fresh = world.sf_client, world.odoo_client, world.odoo
    with StateStore.open(world.state_url) as store:
        run_mapping(ACCOUNTS, store)
        run_mapping(CREDIT, store)
        mark = store.watermark(SYNC)
        companies = [[["ref", "=like", "001%"]]]
        rows = odoo_client.execute_kw(
            "res.partner", "search_read", companies, {"fields": ["ref"], "limit": 5}
        )
        refs = [p["ref"] for p in rows]
        ids = odoo_client.execute_kw("res.partner", "search", [[["ref", "in", refs]]])
        odoo_client.execute_kw("res.partner", "write", [ids, {"trust": "bad"}])
        before = {
            r["Id"]: r["Rating"] for r in sf_client.query_all("SELECT Id, Rating FROM Account")["records"]
        }

        odoo_fresh.add_fault(
            "raw", times=None, operation=r"^res\.partner\.search_read$", body=body, content_type=content_type
        )
        with pytest.raises(RemoteProtocolError, match=r"res\.partner\.search_read"):
            run_mapping(CREDIT, store)
        odoo_fresh.clear_faults()
        assert store.watermark(SYNC) == mark
        after = {
            r["Id"]: r["Rating"] for r in sf_client.query_all("SELECT Id, Rating FROM Account")["records"]
        }
        assert after == before

        calm = run_mapping(CREDIT, store)
        assert calm.counts.updated == len(refs) and calm.counts.failed == 0
        rated = sf_client.query_all("SELECT Id, Rating FROM Account")["records"]
        assert {r["Id"] for r in rated if r["Rating"] == "Cold"} >= set(refs)

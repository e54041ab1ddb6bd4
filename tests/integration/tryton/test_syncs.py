"""The shipped Tryton mappings end to end: the Salesforce sandbox and a REAL trytond, each run twice.

The second run of each sync must write nothing. The test adds the Opportunities
it asserts on through simple-salesforce (the sandbox's seed may or may not hold
some), and creates and posts the customer invoice in Tryton through the connector.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from simple_salesforce import Salesforce

from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.tryton.connector import TrytonConnector
from officebridge.cli import main
from officebridge.connector import OpKind, ReadRequest, WriteOp
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import run_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
PARTIES = MAPPINGS / "salesforce_account_to_tryton.yaml"
ADDRESSES = MAPPINGS / "salesforce_account_to_tryton_address.yaml"
SALES = MAPPINGS / "salesforce_opportunity_to_tryton_sale.yaml"
INVOICES = MAPPINGS / "tryton_invoice_to_salesforce.yaml"

pytestmark = pytest.mark.slow


def twice(mapping: Path, store: StateStore) -> tuple[RunResult, RunResult]:
    first = run_mapping(mapping, store, RunOptions())
    assert first.status == "succeeded", (first.status, first.error, store.dead_letters(first.sync, limit=3))
    second = run_mapping(mapping, store, RunOptions())
    assert second.status == "succeeded", (second.status, second.error)
    assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0), second.counts
    return first, second


def rows(tryton: TrytonConnector, model: str, fields: tuple[str, ...], domain: list[Any]) -> list[Any]:
    request = ReadRequest(model, fields, filter=domain, include_deleted=True)
    return [r for page in tryton.read(request) for r in page.records]


def won_opportunities(sf: Salesforce, accounts: list[dict[str, Any]]) -> list[str]:
    """Two won deals and one open one of our own (whatever the sandbox's seed holds)."""
    ids = []
    for i, (account, stage) in enumerate(
        zip(accounts, ["Closed Won", "Closed Won", "Prospecting"], strict=True)
    ):
        made = sf.Opportunity.create(
            {"Name": f"Deal {i} {account['Name']}", "AccountId": account["Id"], "StageName": stage,
             "CloseDate": "2026-11-30", "Amount": 1000 * (i + 1), "Description": f"won deal {i}"}
        )  # fmt: skip
        ids.append(str(made["id"]))
    return ids


def post_invoice(tryton: TrytonConnector, party: str, reference: str) -> str:
    """A customer invoice for `party`, referencing the Opportunity, created and posted over JSON-RPC."""
    receivable = tryton.lookup("account.account", "code", ["1.2.1"])["1.2.1"]
    revenue = tryton.lookup("account.account", "code", ["4.1.1"])["4.1.1"]
    journal = tryton.lookup("account.journal", "type", ["revenue"])["revenue"]
    [address] = tryton.lookup("party.address", "party", [int(party)]).values()
    line = {"description": "Consulting", "quantity": 3, "unit_price": "120.00", "account": int(revenue)}
    values = {"type": "out", "party": int(party), "account": int(receivable), "invoice_address": int(address),
              "journal": int(journal), "reference": reference, "lines": [["create", [line]]]}  # fmt: skip
    [made] = tryton.write("account.invoice", [WriteOp(OpKind.CREATE, "i", values)])
    assert made.ok, made.message
    tryton.call("account.invoice", "post", [[int(str(made.target_id))]])
    return str(made.target_id)


def test_validate_accepts_the_tryton_mappings(
    sf_sandbox_fresh: SalesforceSandbox, sf_conn_env: str, tryton_conn_env: str
) -> None:
    paths = sorted(str(p) for p in MAPPINGS.glob("*tryton*.yaml"))
    result = CliRunner().invoke(main, ["validate", *paths], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.output.count("ok   ") == len(paths) == 4 and "not checked" not in result.output


@pytest.mark.usefixtures("sf_sandbox_fresh", "sf_conn_env", "tryton_conn_env")
def test_every_tryton_sync_twice(
    sf_client: Salesforce,
    tryton: TrytonConnector,
    sqlite_state_url: str,
) -> None:
    store = StateStore.open(sqlite_state_url)
    accounts = list(sf_client.query_all_iter("SELECT Id, Name, BillingCity FROM Account ORDER BY Id"))
    first, _ = twice(PARTIES, store)
    assert first.counts.created + first.counts.updated == len(accounts) == 300
    parties = {
        r.fields["code"]: r for r in rows(tryton, "party.party", ("code", "name"), [["code", "like", "001%"]])
    }
    assert {a["Id"]: a["Name"].strip() for a in accounts} == {c: r.fields["name"] for c, r in parties.items()}

    first, _ = twice(ADDRESSES, store)
    assert first.counts.created == 300  # a party created over JSON-RPC has no address
    sample = accounts[7]
    [address] = rows(
        tryton, "party.address", ("city", "party"), [["party", "=", int(parties[sample["Id"]].id)]]
    )
    assert address.fields["city"] == (sample["BillingCity"] or "").strip()

    opportunities = won_opportunities(sf_client, accounts[:3])
    first, _ = twice(SALES, store)
    won_count = sf_client.query("SELECT COUNT() FROM Opportunity WHERE StageName = 'Closed Won'")["totalSize"]
    assert first.counts.created == first.counts.read == won_count >= 2  # open deals are not read
    sales = rows(
        tryton, "sale.sale", ("reference", "party", "state", "sale_date"), [["reference", "like", "006%"]]
    )
    by_ref = {s.fields["reference"]: s for s in sales}
    assert set(opportunities[:2]) <= set(by_ref) and opportunities[2] not in by_ref
    won = by_ref[opportunities[0]]
    assert str(won.fields["party"]) == parties[accounts[0]["Id"]].id and won.fields["state"] == "draft"
    assert won.fields["sale_date"] == date(2026, 11, 30).isoformat()

    post_invoice(tryton, parties[accounts[0]["Id"]].id, opportunities[0])
    first, _ = twice(INVOICES, store)
    assert first.counts.updated == 1
    [deal] = sf_client.query(f"SELECT NextStep FROM Opportunity WHERE Id = '{opportunities[0]}'")["records"]
    assert deal["NextStep"].startswith("Invoice ") and deal["NextStep"].endswith(": 360.0 due")  # 3 x 120.00
    store.close()

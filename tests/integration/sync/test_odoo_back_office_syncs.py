"""The shipped Odoo back-office mappings end to end on the two sandboxes, each run twice.

Salesforce Opportunity -> Odoo crm.lead (stages through a value map, tags through
a list lookup), Odoo posted invoice -> Salesforce Opportunity (a link read from
the target side), Odoo hr.employee -> Salesforce User (a dotted path into a
lookup). The second run of each sync must write nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from simple_salesforce import Salesforce

from connectors.odoo.sandbox import OdooSandbox
from officebridge.cli import main
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import preview_mapping, run_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
OPPORTUNITIES = MAPPINGS / "salesforce_opportunity_to_odoo_lead.yaml"
INVOICES = MAPPINGS / "odoo_invoice_to_salesforce_opportunity.yaml"
EMPLOYEES = MAPPINGS / "odoo_employee_to_salesforce_user.yaml"

pytestmark = pytest.mark.slow


def twice(mapping: Path, store: StateStore) -> tuple[RunResult, RunResult]:
    first = run_mapping(mapping, store, RunOptions())
    assert first.status == "succeeded", (first.status, first.error, store.dead_letters(first.sync, limit=3))
    second = run_mapping(mapping, store, RunOptions())
    assert second.status == "succeeded", (second.status, second.error)
    assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0), second.counts
    return first, second


def _invoice(odoo: Any, lead: dict[str, Any], amount: float) -> int:
    move = odoo.execute_kw(
        "account.move",
        "create",
        [{"move_type": "out_invoice", "partner_id": lead["partner_id"][0], "invoice_date": "2026-11-30",
          "x_opportunity_id": lead["id"],
          "invoice_line_ids": [(0, 0, {"name": "Licence", "quantity": 1, "price_unit": amount})]}],
    )  # fmt: skip
    odoo.execute_kw("account.move", "action_post", [[move]])
    return int(move)


@pytest.mark.usefixtures("sf_sandbox_fresh", "sf_conn_env", "odoo_conn_env")
def test_opportunities_invoices_and_employees_twice(
    sf_client: Salesforce, odoo_fresh: OdooSandbox, odoo_client: Any, sqlite_state_url: str
) -> None:
    store = StateStore.open(sqlite_state_url)
    twice(ACCOUNTS, store)
    partners = {
        r["ref"]: r["id"]
        for r in odoo_client.execute_kw(
            "res.partner", "search_read", [[["ref", "=like", "001%"]]], {"fields": ["ref"]}
        )
    }

    opps = list(
        sf_client.query_all_iter("SELECT Id, AccountId, StageName, Amount, LeadSource, Type FROM Opportunity")
    )
    assert len(opps) > 20  # the seed's demo pipeline
    first, _ = twice(OPPORTUNITIES, store)
    assert first.counts.created == len(opps)
    leads = {
        r["x_salesforce_id"]: r
        for r in odoo_client.execute_kw(
            "crm.lead",
            "search_read",
            [[["x_salesforce_id", "!=", False]]],
            {
                "fields": [
                    "x_salesforce_id",
                    "stage_id",
                    "active",
                    "probability",
                    "partner_id",
                    "tag_ids",
                    "type",
                ],
                "context": {"active_test": False},
            },
        )
    }
    tags = {
        r["name"]: r["id"]
        for r in odoo_client.execute_kw("crm.tag", "search_read", [[]], {"fields": ["name"]})
    }
    stage_of = {"Closed Won": "Won", "Prospecting": "New", "Negotiation/Review": "Proposition"}
    for opp in opps:
        lead = leads[opp["Id"]]
        assert lead["type"] == "opportunity" and lead["partner_id"][0] == partners[opp["AccountId"]]
        if opp["StageName"] in stage_of:
            assert lead["stage_id"][1] == stage_of[opp["StageName"]]
        assert lead["active"] is (opp["StageName"] != "Closed Lost")
        assert sorted(lead["tag_ids"]) == sorted(
            tags[t] for t in {opp["LeadSource"], opp["Type"]} if t in tags
        )
    won = next(o for o in opps if o["StageName"] == "Closed Won")
    assert leads[won["Id"]]["probability"] == 100.0

    move = _invoice(odoo_client, leads[won["Id"]], 1200.0)
    odoo_fresh.register_payment(move, 200.0)
    first, _ = twice(INVOICES, store)
    assert first.counts.updated == 1  # the seed's invoices name no opportunity: not read
    fields = "Invoice_Number__c, Amount_Due__c, Payment_State__c"
    [deal] = sf_client.query(f"SELECT {fields} FROM Opportunity WHERE Id = '{won['Id']}'")["records"]
    assert (deal["Invoice_Number__c"], deal["Amount_Due__c"], deal["Payment_State__c"]) == (
        "INV/2026/00001",
        1000.0,
        "Partially paid",
    )
    odoo_fresh.register_payment(move, 1000.0)
    paid = run_mapping(INVOICES, store, RunOptions())
    assert paid.counts.updated == 1
    [deal] = sf_client.query(f"SELECT {fields} FROM Opportunity WHERE Id = '{won['Id']}'")["records"]
    assert (deal["Amount_Due__c"], deal["Payment_State__c"]) == (0.0, "Paid")

    first, _ = twice(EMPLOYEES, store)
    assert first.counts.updated == 6 and first.counts.skipped >= 1  # Barbara Liskov has no seat
    users = {
        u["Email"]: u
        for u in sf_client.query_all_iter(
            "SELECT Id, Email, Title, ManagerId FROM User WHERE Email LIKE '%officebridge%'"
        )
    }
    assert users["alan.turing@officebridge.example.com"]["Title"] == "Senior Account Executive"
    assert users["hedy.lamarr@officebridge.example.com"]["Title"] == "Head of Support"
    boss = users["grace.hopper@officebridge.example.com"]["Id"]
    assert users["ada.lovelace@officebridge.example.com"]["ManagerId"] == boss
    assert users["grace.hopper@officebridge.example.com"]["ManagerId"] is None
    store.close()


LEADS_AND_CASES = """\
version: 1
name: {name}
source: {{system: salesforce, object: {object}}}
target: {{system: odoo, object: crm.lead, match: x_salesforce_id}}
fields:
  x_salesforce_id: Id
  name: {{copy: {title}}}
  type: {{constant: lead}}
"""


@pytest.mark.usefixtures("sf_sandbox_fresh", "sf_conn_env", "odoo_conn_env")
def test_new_mappings_of_leads_opportunities_and_cases_preview_seeded_records(
    tmp_path: Path, sqlite_state_url: str
) -> None:
    store = StateStore.open(sqlite_state_url)
    for obj, title in (("Lead", "Company"), ("Opportunity", "Name"), ("Case", "Subject")):
        path = tmp_path / f"{obj.lower()}_to_lead.yaml"
        path.write_text(LEADS_AND_CASES.format(name=f"{obj.lower()}_to_lead", object=obj, title=title))
        preview = preview_mapping(path, store, limit=10)
        assert preview.counts.created == 10, (obj, preview.counts)
        assert all(p.values and p.values["name"] for p in preview.plans), obj
    store.close()


@pytest.mark.usefixtures("sf_sandbox_fresh", "sf_conn_env", "odoo_conn_env")
def test_validate_checks_the_shipped_back_office_mappings_against_both_systems() -> None:
    paths = [str(p) for p in (OPPORTUNITIES, INVOICES, EMPLOYEES)]
    result = CliRunner().invoke(main, ["validate", *paths], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.output.count("ok   ") == 3 and "not checked" not in result.output

"""The Odoo sandbox's back-office models through OdooRPC over HTTP: CRM, invoices, sales, HR, tags, xmlids."""

from __future__ import annotations

from typing import Any

import pytest
from odoorpc.error import RPCError

from connectors.odoo.sandbox import OdooSandbox


def refused(call: Any) -> str:
    with pytest.raises(RPCError) as caught:
        call()
    info = caught.value.info
    return f"{info['data']['name']}: {info['data']['message']}"


def _partner(odoo: Any, name: str = "Back Office Co") -> int:
    return int(odoo.env["res.partner"].create({"name": name, "is_company": True}))


def test_shipped_external_ids_survive_a_reset(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    ref = odoo_client.env["ir.model.data"].check_object_reference
    us = odoo_client.env["res.country"].search([["code", "=", "US"]])
    assert ref("base", "us") == ["res.country", us[0]]
    assert ref("base", "fr")[0] == "res.country" and ref("base", "main_partner") == ["res.partner", 1]
    assert ref("base", "user_admin") == ["res.users", 2] and ref("base", "USD")[0] == "res.currency"
    won = ref("crm", "stage_lead4")
    assert odoo_client.env["crm.stage"].read([won[1]], ["name", "is_won"])[0] == {
        "id": won[1],
        "name": "Won",
        "is_won": True,
    }
    [[industry_id, name]] = odoo_client.execute_kw(
        "res.partner.industry", "name_search", ["Manufacturing"], {"limit": 1}
    )
    assert (
        ref("base", "res_partner_industry_C") == ["res.partner.industry", industry_id]
        and name == "Manufacturing"
    )
    odoo_fresh.reset()
    assert ref("base", "us") == ["res.country", us[0]]


def test_crm_lead_stages_won_and_lost(odoo_client: Any) -> None:
    leads, partner = odoo_client.env["crm.lead"], _partner(odoo_client)
    stages = odoo_client.execute_kw("crm.stage", "search_read", [[]], {"fields": ["name", "sequence"]})
    assert [s["name"] for s in stages] == ["New", "Qualified", "Proposition", "Won"]  # by sequence
    lead = leads.create({"name": "Big deal", "partner_id": partner, "expected_revenue": 5000})
    row = leads.read([lead], ["stage_id", "type", "partner_id", "probability", "date_closed", "active"])[0]
    assert row["stage_id"] == [stages[0]["id"], "New"] and row["type"] == "opportunity"
    assert row["partner_id"] == [partner, "Back Office Co"] and row["date_closed"] is False
    odoo_client.execute_kw("crm.lead", "action_set_won", [[lead]])
    row = leads.read([lead], ["stage_id", "probability", "date_closed"])[0]
    assert row["stage_id"][1] == "Won" and row["probability"] == 100.0 and row["date_closed"]
    leads.write([lead], {"stage_id": stages[1]["id"]})  # out of a won stage: open again
    assert leads.read([lead], ["date_closed"])[0]["date_closed"] is False
    odoo_client.execute_kw("crm.lead", "action_set_lost", [[lead]])
    assert leads.search([["id", "=", lead]]) == []  # lost = archived, hidden by default
    row = odoo_client.execute_kw(
        "crm.lead", "read", [[lead], ["active", "probability"]], {"context": {"active_test": False}}
    )[0]
    assert (row["active"], row["probability"]) == (False, 0.0)
    assert "between 0% and 100%" in refused(lambda: leads.create({"name": "x", "probability": 120}))
    assert "Wrong value for crm.lead.type" in refused(lambda: leads.create({"name": "x", "type": "deal"}))


def test_many2many_commands_on_tags(odoo_client: Any) -> None:
    tags, leads = odoo_client.env["crm.tag"], odoo_client.env["crm.lead"]
    a, b, c = (tags.create({"name": n}) for n in ("Web", "Referral", "VIP"))
    lead = leads.create({"name": "Tagged", "tag_ids": [(6, 0, [a, b])]})
    assert leads.read([lead], ["tag_ids"])[0]["tag_ids"] == [a, b]
    leads.write([lead], {"tag_ids": [(4, c), (3, a)]})
    assert sorted(leads.read([lead], ["tag_ids"])[0]["tag_ids"]) == sorted([b, c])
    leads.write([lead], {"tag_ids": [(5,)]})
    assert leads.read([lead], ["tag_ids"])[0]["tag_ids"] == []
    assert "does not exist" in refused(lambda: leads.write([lead], {"tag_ids": [(6, 0, [999999])]}))
    cats = odoo_client.env["res.partner.category"]
    parent = cats.create({"name": "Industry"})
    child = cats.create({"name": "Retail", "parent_id": parent})
    assert odoo_client.execute_kw("res.partner.category", "name_search", ["Ret"]) == [
        [child, "Industry / Retail"]
    ]
    partner = _partner(odoo_client, "Tagged Co")
    odoo_client.env["res.partner"].write([partner], {"category_id": [(6, 0, [child])]})
    assert odoo_client.env["res.partner"].read([partner], ["category_id"])[0]["category_id"] == [child]


def test_customer_invoice_numbers_states_and_payments(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    partner = _partner(odoo_client)
    moves = odoo_client.env["account.move"]
    lines = [(0, 0, {"name": "Licence", "quantity": 2, "price_unit": 300.0})]
    move = moves.create({"move_type": "out_invoice", "partner_id": partner, "invoice_date": "2026-03-01",
                         "invoice_line_ids": lines})  # fmt: skip
    fields = [
        "name",
        "display_name",
        "state",
        "amount_total",
        "amount_residual",
        "payment_state",
        "journal_id",
    ]
    draft = moves.read([move], fields)[0]
    assert draft["name"] == "/" and draft["display_name"] == f"Draft Invoice (* {move})"
    assert (draft["state"], draft["amount_total"], draft["amount_residual"]) == ("draft", 600.0, 600.0)
    assert draft["journal_id"][1] == "Customer Invoices" and draft["payment_state"] == "not_paid"
    moves.write([move], {"amount_total": 1.0, "payment_state": "paid"})  # stored computes: recomputed away
    assert moves.read([move], ["amount_total", "payment_state"])[0] == {
        "id": move,
        "amount_total": 600.0,
        "payment_state": "not_paid",
    }
    assert "through its buttons" in refused(lambda: moves.write([move], {"state": "posted"}))
    assert "Only posted/cancelled" in refused(
        lambda: odoo_client.execute_kw("account.move", "button_draft", [[move]])
    )
    odoo_client.execute_kw("account.move", "action_post", [[move]])
    posted = moves.read([move], fields)[0]
    assert posted["name"] == posted["display_name"] == "INV/2026/00001" and posted["state"] == "posted"
    assert "already posted" in refused(
        lambda: odoo_client.execute_kw("account.move", "action_post", [[move]])
    )
    assert "posted entry INV/2026/00001: partner_id" in refused(
        lambda: moves.write([move], {"partner_id": _partner(odoo_client, "Other")})
    )
    assert "posted once" in refused(lambda: moves.unlink([move]))
    odoo_fresh.register_payment(move, 100.0)
    assert moves.read([move], ["amount_residual", "payment_state"])[0]["payment_state"] == "partial"
    odoo_fresh.register_payment(move, 500.0)
    paid = moves.read([move], ["amount_residual", "payment_state", "amount_total_signed"])[0]
    assert (paid["amount_residual"], paid["payment_state"], paid["amount_total_signed"]) == (
        0.0,
        "paid",
        600.0,
    )
    odoo_client.execute_kw("account.move", "button_cancel", [[move]])  # posted -> draft -> cancel
    gone = moves.read([move], ["state", "amount_residual", "payment_state", "name"])[0]
    assert (gone["state"], gone["amount_residual"], gone["payment_state"]) == ("cancel", 0.0, "not_paid")
    odoo_client.execute_kw("account.move", "button_draft", [[move]])
    assert moves.read([move], ["state", "name"])[0] == {
        "id": move,
        "state": "draft",
        "name": "INV/2026/00001",
    }
    empty = moves.create({"move_type": "out_invoice", "partner_id": partner})
    assert "add a line" in refused(lambda: odoo_client.execute_kw("account.move", "action_post", [[empty]]))
    nobody = moves.create({"move_type": "out_invoice", "invoice_line_ids": lines})
    assert "'Customer' is required" in refused(
        lambda: odoo_client.execute_kw("account.move", "action_post", [[nobody]])
    )


def test_computed_fields_are_read_only_in_fields_get(odoo_client: Any) -> None:
    described = odoo_client.execute_kw("account.move", "fields_get", [], {"attributes": ["readonly", "type"]})
    for name in ("amount_total", "amount_residual", "payment_state", "state"):
        assert described[name]["readonly"] is True, name
    assert described["invoice_date"]["readonly"] is False
    custom = odoo_client.execute_kw("crm.lead", "fields_get", [["x_salesforce_id"]])["x_salesforce_id"]
    assert custom["manual"] is True and custom["type"] == "char"


def test_sale_order_confirm_cancel_and_draft(odoo_client: Any) -> None:
    partner, orders = _partner(odoo_client), odoo_client.env["sale.order"]
    line = {"name": "Seats", "product_uom_qty": 4, "price_unit": 25.0}
    order = orders.create({"partner_id": partner, "order_line": [(0, 0, line)]})
    row = orders.read([order], ["name", "state", "amount_total", "partner_invoice_id", "invoice_status"])[0]
    assert row["name"].startswith("S") and row["state"] == "draft" and row["amount_total"] == 100.0
    assert row["partner_invoice_id"][0] == partner and row["invoice_status"] == "no"
    assert "partner" in refused(lambda: orders.create({"name": "no customer"})).lower()
    odoo_client.execute_kw("sale.order", "action_confirm", [[order]])
    assert orders.read([order], ["state", "invoice_status"])[0]["state"] == "sale"
    assert "not in a state requiring confirmation" in refused(
        lambda: odoo_client.execute_kw("sale.order", "action_confirm", [[order]])
    )
    assert "must first cancel it" in refused(lambda: orders.unlink([order]))
    odoo_client.execute_kw("sale.order", "action_cancel", [[order]])
    odoo_client.execute_kw("sale.order", "action_draft", [[order]])
    assert orders.read([order], ["state"])[0]["state"] == "draft"
    assert orders.unlink([order]) is True


def test_employee_resource_work_contact_and_one_per_user(odoo_client: Any) -> None:
    employees = odoo_client.env["hr.employee"]
    emp = employees.create({"name": "Ada Test", "work_email": "ada.test@example.com", "user_id": 2})
    row = employees.read(
        [emp], ["name", "work_contact_id", "resource_id", "company_id", "employee_type", "active"]
    )[0]
    assert row["employee_type"] == "employee" and row["active"] is True and row["resource_id"]
    contact = row["work_contact_id"][0]
    assert odoo_client.env["res.partner"].read([contact], ["email"])[0]["email"] == "ada.test@example.com"
    employees.write([emp], {"work_email": "ada@example.com"})  # the inverse writes the work contact
    assert odoo_client.env["res.partner"].read([contact], ["email"])[0]["email"] == "ada@example.com"
    assert "multiple employees in the same company" in refused(
        lambda: employees.create({"name": "Twin", "user_id": 2})
    )
    assert "Resources (resource.resource)" in refused(lambda: employees.create({"job_title": "nameless"}))
    seeded = employees.search([["work_email", "=like", "%@officebridge.example.com"]])
    assert len(seeded) == 7  # the seed's demo team

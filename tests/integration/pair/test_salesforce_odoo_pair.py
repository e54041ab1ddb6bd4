"""The shipped Account <-> company pair end to end: real clients over HTTP, both sandboxes, a state store.

It starts where a deployment does, after the directional Account sync has made
the companies, and checks what an analyst would: nothing duplicated, each
side's edit arrives on the other, our own writes are not read back as edits
(the sandboxes see no write at all on the next run), a rename on both sides
goes to the newer one, and notes changed on both sides wait for a person.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.integration.pair.conftest import ACCOUNTS, PairBridge

pytestmark = pytest.mark.slow

ODOO_STAMP = 1.1  # Odoo's write_date has whole seconds: a later edit must be in a later second


def _after(sf_stamp: str) -> None:
    """Wait until an Odoo edit made now lands in a later second than the Salesforce stamp.

    The sandbox keeps its stamps strictly increasing, so after a burst of writes (the
    pair's adoption writes 300 Accounts) they run ahead of the clock: wait on the stamp
    the edit got, not on the clock alone.
    """
    stamp = datetime.strptime(sf_stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    time.sleep(max(0.0, stamp - time.time()) + ODOO_STAMP)


def _adopted(b: PairBridge) -> tuple[str, str]:
    """Run the directional sync then the pair; two paired Account ids."""
    b.run(ACCOUNTS)
    b.run_pair()
    a1, a2 = sorted(p["ref"] for p in b.synced_partners())[:2]
    return a1, a2


def test_the_pair_adopts_the_directional_links_and_then_writes_nothing(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    b.run(ACCOUNTS)
    b.reset_stats()
    forward, backward = b.run_pair()
    assert forward.notes["adopted_links"] == 300
    # Odoo already holds each company's ref and is_company: adopting writes nothing there; each
    # Account gets its company's id (External_Id__c), once
    assert b.odoo_writes() == {}
    assert (forward.counts.updated, backward.counts.updated) == (0, 300)
    assert (forward.counts.created, backward.counts.created) == (0, 0)  # no company or Account twice
    assert (forward.counts.failed, backward.counts.failed) == (0, 0)
    assert len(b.synced_partners()) == 300 == b.sf_count("Account")
    assert b.conflicts() == []  # the directional sync left both sides agreeing on every shared field
    b.reset_stats()
    again = b.run_pair()
    assert [r.counts.created + r.counts.updated for r in again] == [0, 0]
    assert b.odoo_writes() == {} and b.sf_writes() == {}


def test_an_edit_on_each_side_arrives_and_its_echo_writes_nothing(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    a1, a2 = _adopted(b)
    company = b.company(a1, ["street"])
    b.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"street": "12 Rue du Port"}])
    b.sf_client.Account.update(a2, {"Phone": "+33 1 40 00 00 00"})
    b.reset_stats()
    forward, backward = b.run_pair()
    assert b.account(a1, "BillingStreet")["BillingStreet"] == "12 Rue du Port"
    assert b.company(a2, ["phone"])["phone"] == "+33 1 40 00 00 00"
    assert (forward.counts.updated, backward.counts.updated) == (1, 1)
    assert b.odoo_writes() == {"res.partner.write": 1}
    b.reset_stats()
    settled = b.run_pair()
    assert [r.counts.updated + r.counts.created for r in settled] == [0, 0]  # no ping-pong
    assert b.odoo_writes() == {} and b.sf_writes() == {}


def test_an_owned_field_edited_on_the_wrong_side_is_put_back_by_its_owner(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    a1, _a2 = _adopted(b)
    company = b.company(a1, ["street", "phone"])
    b.sf_client.Account.update(a1, {"BillingStreet": "1 CRM Street"})  # the ERP owns the address
    b.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"street": "2 ERP Road"}])
    b.run_pair()
    assert b.account(a1, "BillingStreet")["BillingStreet"] == "2 ERP Road"
    assert b.company(a1, ["street"])["street"] == "2 ERP Road"
    assert b.conflicts() == []


def test_a_rename_on_both_sides_goes_to_the_newer_one(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    a1, a2 = _adopted(b)
    c1, c2 = b.company(a1, [])["id"], b.company(a2, [])["id"]
    b.sf_client.Account.update(a1, {"Name": "Older CRM name"})
    b.odoo_client.execute_kw("res.partner", "write", [[c2], {"name": "Older ERP name"}])
    _after(b.account(a1, "SystemModstamp")["SystemModstamp"])
    b.odoo_client.execute_kw("res.partner", "write", [[c1], {"name": "Newer ERP name"}])
    b.sf_client.Account.update(a2, {"Name": "Newer CRM name"})
    b.run_pair()
    assert b.account(a1, "Name")["Name"] == "Newer ERP name" == b.company(a1, ["name"])["name"]
    assert b.account(a2, "Name")["Name"] == "Newer CRM name" == b.company(a2, ["name"])["name"]
    assert b.conflicts() == []
    b.reset_stats()
    assert [r.counts.updated for r in b.run_pair()] == [0, 0]
    assert b.odoo_writes() == {} and b.sf_writes() == {}


def test_notes_changed_on_both_sides_become_a_conflict_for_an_analyst(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    a1, _a2 = _adopted(b)
    company = b.company(a1, [])
    b.sf_client.Account.update(a1, {"Description": "Wants quarterly invoices"})
    b.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"comment": "Pays by transfer"}])
    b.run_pair()
    [letter] = b.conflicts()
    assert letter.source_id == a1
    notes = letter.payload["fields"]["notes"]
    assert (notes["a"], notes["b"]) == ("Wants quarterly invoices", "Pays by transfer")
    assert notes["base_a"] is None and notes["base_b"] is None  # empty on both sides when last synced
    # neither side was touched, and an open conflict is not written on the next run either
    assert b.account(a1, "Description")["Description"] == "Wants quarterly invoices"
    assert b.company(a1, ["comment"])["comment"] == "Pays by transfer"
    b.reset_stats()
    assert [r.counts.updated for r in b.run_pair()] == [0, 0]
    assert b.odoo_writes() == {} and b.sf_writes() == {}
    assert len(b.conflicts()) == 1


def test_a_customer_born_in_odoo_becomes_an_account_once(pair_bridge: PairBridge) -> None:
    b = pair_bridge
    _adopted(b)
    new_id = b.odoo_client.execute_kw("res.partner", "create", [{
        "name": "Born in Odoo SARL", "is_company": True, "customer_rank": 1, "street": "3 Quai Ouest",
        "city": "Nantes", "zip": "44000", "phone": "+33 2 40 00 00 00",
    }])  # fmt: skip
    _forward, backward = b.run_pair()
    assert backward.counts.created == 1
    [account] = b.sf_records(
        "SELECT Id, Name, BillingStreet, Phone, External_Id__c FROM Account WHERE Name = 'Born in Odoo SARL'"
    )
    assert (account["BillingStreet"], account["External_Id__c"]) == ("3 Quai Ouest", str(new_id))
    [company] = b.partners([["id", "=", new_id]], ["ref"])
    assert company["ref"] == account["Id"]  # the directional sync finds it by ref, too
    assert b.sf_count("Account") == 301  # Odoo's coded companies (ref C00001...) stayed out
    b.reset_stats()
    assert [r.counts.created + r.counts.updated for r in b.run_pair()] == [0, 0]
    assert b.odoo_writes() == {} and b.sf_writes() == {}
    assert b.run(ACCOUNTS).counts.created == 0

"""The shipped syncs end to end: real clients, real HTTP, both sandboxes, a real state store."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from officebridge.errors import SyncLockedError
from officebridge.sync.lifecycle import partition_lock
from officebridge.sync.runner import preview_mapping, replay
from tests.integration.sync.conftest import ACCOUNTS, CONTACTS, CREDIT, Bridge


def test_account_sync_end_to_end_and_idempotent(bridge_any_store: Bridge) -> None:
    b = bridge_any_store
    first = b.run(ACCOUNTS)
    accounts = b.sf_records("SELECT Id, Name, BillingCountry, Type FROM Account")
    assert first.status == "succeeded"
    assert first.counts.created == len(accounts) == 300
    partners = {p["ref"]: p for p in b.synced_partners()}
    assert set(partners) == {a["Id"] for a in accounts}
    for account in accounts:
        partner = partners[account["Id"]]
        assert partner["name"] == account["Name"].strip()
        if account["BillingCountry"]:
            assert partner["country_id"][1] == account["BillingCountry"]
        direct = account["Type"] in ("Customer - Direct", "Customer - Channel")
        assert partner["customer_rank"] == (1 if direct else 0)

    b.odoo.reset_stats()
    second = b.run(ACCOUNTS)
    assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0)
    assert second.counts.unchanged == second.counts.read  # only the overlap window is read again
    methods = b.odoo.stats()["by_method"]
    assert not any(m.endswith((".create", ".write", ".unlink")) for m in methods), methods


def test_contacts_attach_to_the_company_of_their_account(bridge: Bridge) -> None:
    bridge.run(ACCOUNTS)
    result = bridge.run(CONTACTS)
    contacts = bridge.sf_records("SELECT Id, AccountId, Email FROM Contact")
    assert result.counts.created == len(contacts) > 0
    companies = {p["ref"]: p["id"] for p in bridge.synced_partners("001")}
    people = {p["ref"]: p for p in bridge.synced_partners("003")}
    for contact in contacts:
        person = people[contact["Id"]]
        assert person["parent_id"][0] == companies[contact["AccountId"]]
        assert person["email"] == (contact["Email"].strip().lower() if contact["Email"] else False)


def test_contact_before_its_account_is_dead_lettered_then_replayed(bridge: Bridge, tmp_path) -> None:
    early = bridge.run(CONTACTS)
    assert early.status == "partial" and early.counts.failed == early.counts.read > 0
    letters = bridge.store.dead_letters("salesforce_contact_to_odoo", limit=10_000)
    assert {d.stage for d in letters} == {"lookup"}
    assert "has not been synced by 'salesforce_account_to_odoo'" in letters[0].message

    bridge.run(ACCOUNTS)
    [outcome] = replay(bridge.store, letters, ACCOUNTS.parent)
    assert (outcome.replayed, outcome.still_failing) == (len(letters), 0)
    assert bridge.store.dead_letters("salesforce_contact_to_odoo") == []
    assert len(bridge.synced_partners("003")) == len(letters)


def test_back_office_trust_reaches_salesforce_rating(bridge: Bridge) -> None:
    bridge.run(ACCOUNTS)
    first = bridge.run(CREDIT)
    assert first.counts.updated == 300  # every company starts as a "normal" debtor: Warm
    partner = bridge.synced_partners()[0]
    bridge.odoo_client.execute_kw("res.partner", "write", [[partner["id"]], {"trust": "bad"}])
    second = bridge.run(CREDIT)
    assert second.counts.updated == 1
    [account] = bridge.sf_records(f"SELECT Rating FROM Account WHERE Id = '{partner['ref']}'")
    assert account["Rating"] == "Cold"
    # our write to Salesforce is an echo for the Account sync: nothing flows back
    echo = bridge.run(ACCOUNTS)
    assert (echo.counts.created, echo.counts.updated) == (0, 0)


def test_n_edits_make_n_updates(bridge: Bridge) -> None:
    bridge.run(ACCOUNTS)
    edited = bridge.sf_records("SELECT Id, Name FROM Account ORDER BY Id LIMIT 5")
    for account in edited:
        bridge.sf_client.Account.update(account["Id"], {"Name": account["Name"] + " Group"})
    result = bridge.run(ACCOUNTS)
    assert (result.counts.created, result.counts.updated, result.counts.failed) == (0, 5, 0)
    names = {p["ref"]: p["name"] for p in bridge.synced_partners()}
    assert all(names[a["Id"]] == a["Name"] + " Group" for a in edited)


def test_records_sharing_one_stamp_across_a_page_boundary(bridge: Bridge) -> None:
    ids = [a["Id"] for a in bridge.sf_records("SELECT Id FROM Account")]
    stamp = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    bridge.sf.touch("Account", ids, at=stamp)
    first = bridge.run(ACCOUNTS, read_batch=200)  # two pages, the boundary inside one stamp
    assert first.counts.created == 300
    assert bridge.store.watermark("salesforce_account_to_odoo") == stamp

    # ten records change, but commit with the stamp we already passed (a late transaction)
    late = ids[100:110]
    for source_id in late:
        bridge.sf_client.Account.update(source_id, {"Website": "https://late.example.com"})
    bridge.sf.touch("Account", late, at=stamp)
    second = bridge.run(ACCOUNTS, read_batch=200)
    assert second.counts.updated == 10
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert len(refs) == 300 and set(refs.values()) == {1}


@pytest.mark.slow  # two loads of 300 records per policy; tests/unit/sync covers each policy fast
@pytest.mark.parametrize(
    ("policy", "expect"), [("archive", "archived"), ("delete", "gone"), ("ignore", "active")]
)
def test_source_deletes_follow_the_delete_policy(bridge: Bridge, tmp_path, policy: str, expect: str) -> None:
    mapping = tmp_path / "accounts.yaml"
    mapping.write_text(ACCOUNTS.read_text().replace("on_delete: archive", f"on_delete: {policy}"))
    bridge.run(mapping)
    victim = bridge.sf_records("SELECT Id FROM Account ORDER BY Id LIMIT 1")[0]["Id"]
    bridge.sf_client.Account.delete(victim)
    result = bridge.run(mapping)
    found = bridge.partners([["ref", "=", victim]])
    if expect == "gone":
        assert found == [] and result.counts.deleted == 1
    else:
        assert len(found) == 1 and found[0]["active"] is (expect == "active")
        assert result.counts.deleted == (1 if expect == "archived" else 0)
    assert len(bridge.synced_partners()) == (299 if expect == "gone" else 300)


def test_a_failing_record_is_dead_lettered_the_rest_commit_and_replay_lands_it(bridge: Bridge) -> None:
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1 OFFSET 7")[0]["Name"]
    bridge.odoo.add_fault(
        "record_error", field="name", value=name.strip(), message="Name is on a sanctions list"
    )
    result = bridge.run(ACCOUNTS)
    failing = [
        a for a in bridge.sf_records("SELECT Id, Name FROM Account") if a["Name"].strip() == name.strip()
    ]
    assert result.status == "partial"
    assert result.counts.failed == len(failing) and result.counts.created == 300 - len(failing)
    letters = bridge.store.dead_letters("salesforce_account_to_odoo")
    assert {d.source_id for d in letters} == {a["Id"] for a in failing}
    assert letters[0].stage == "write" and letters[0].error_code == "ValidationError"
    assert "sanctions list" in letters[0].message
    assert bridge.store.watermark("salesforce_account_to_odoo") is not None  # dead-lettered counts as done

    again = replay(bridge.store, letters, ACCOUNTS.parent)  # not fixed yet: still failing, attempts grow
    assert again[0].still_failing == len(failing)
    assert bridge.store.dead_letter(letters[0].id).attempts == 2

    bridge.odoo.clear_faults()
    [fixed] = replay(bridge.store, letters, ACCOUNTS.parent)
    assert (fixed.replayed, fixed.still_failing) == (len(failing), 0)
    assert {d.status for d in bridge.store.dead_letters("salesforce_account_to_odoo", status=None)} == {
        "replayed"
    }
    assert len(bridge.synced_partners()) == 300


def test_transient_faults_are_retried_without_duplicates(bridge: Bridge) -> None:
    bridge.odoo.add_fault("server_error", times=2)
    bridge.odoo.add_fault("rate_limit", times=1, retry_after=0)
    bridge.sf.add_fault("request_limit", times=1, path="/services/data/")
    result = bridge.run(ACCOUNTS)
    assert result.status == "succeeded" and result.counts.created == 300
    assert len(bridge.synced_partners()) == 300


@pytest.mark.slow  # waits for a 2.5 s late landing, three loads of 300 records
def test_a_create_that_times_out_but_lands_later_is_not_written_twice(bridge: Bridge, monkeypatch) -> None:
    conn = json.loads(os.environ["AIRFLOW_CONN_ODOO_DEFAULT"])
    conn["extra"]["timeout"] = 1
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", json.dumps(conn))
    # the server answers after the client gave up, and still creates the records: a late landing
    bridge.odoo.add_fault("slow", times=1, operation="^res\\.partner\\.create$", seconds=2.5)
    first = bridge.run(ACCOUNTS)
    assert first.status == "partial" and first.counts.failed == 300
    letters = bridge.store.dead_letters("salesforce_account_to_odoo", limit=1000)
    assert {d.error_code for d in letters} == {"OUTCOME_UNKNOWN"} and len(letters) == 300

    soon = bridge.run(ACCOUNTS)  # too early: the parked records are left alone, even those read again
    assert soon.counts.read > 0 and soon.counts.written == 0
    assert len(bridge.store.dead_letters("salesforce_account_to_odoo", limit=1000)) == 300
    time.sleep(2.0)  # the late create lands
    assert len(bridge.synced_partners()) == 300

    settled = bridge.run(ACCOUNTS, settle=timedelta(0))
    assert settled.status == "succeeded" and settled.counts.created == 0 and settled.counts.updated == 300
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert len(refs) == 300 and set(refs.values()) == {1}, "a timed-out create was sent twice"
    assert bridge.store.dead_letters("salesforce_account_to_odoo") == []


def test_two_runs_of_one_sync_never_overlap(bridge: Bridge) -> None:
    with bridge.store.lock("salesforce_account_to_odoo"):
        with pytest.raises(SyncLockedError):
            bridge.run(ACCOUNTS)
    assert bridge.store.runs("salesforce_account_to_odoo") == []


def test_a_run_waits_for_a_partitioned_initial_load_in_progress(bridge: Bridge) -> None:
    sync = "salesforce_account_to_odoo"
    with bridge.store.lock(partition_lock(sync, 0, 4), ttl=600):  # a partition alive on another worker
        partition = bridge.store.start_run(
            sync, trigger="airflow", detail={"partition": {"index": 0, "count": 4}}
        )
        with pytest.raises(SyncLockedError, match="partitioned initial load"):
            bridge.run(ACCOUNTS)
        assert bridge.store.runs(sync)[0].id == partition  # nothing started, nothing closed
        assert bridge.synced_partners() == []


def test_preview_writes_nothing(bridge: Bridge) -> None:
    preview = preview_mapping(ACCOUNTS, bridge.store, limit=7)
    assert [p.action for p in preview.plans] == ["create"] * 7
    assert bridge.synced_partners() == [] and bridge.store.runs() == []
    assert bridge.store.watermark("salesforce_account_to_odoo") is None


def test_watermark_overlap_rereads_without_rewriting(bridge: Bridge) -> None:
    bridge.run(ACCOUNTS)
    again = bridge.run(ACCOUNTS, overlap=timedelta(days=3650))
    assert again.counts.read == 300 and again.counts.unchanged == 300

"""Failures on two in-memory systems: refused records, links not yet synced, replay, unknown outcomes."""

from __future__ import annotations

from datetime import timedelta

from officebridge.sync.runner import replay
from tests.unit.sync.conftest import Pair


def test_a_refused_record_is_dead_lettered_and_the_rest_commit(pair: Pair) -> None:
    poison = pair.crm.rows("account")[4]
    pair.erp.add_fault(
        "record_error",
        object="account",
        field="name",
        value=poison["name"].strip(),
        code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message="no such names here",
    )
    result = pair.run(pair.accounts)
    assert (result.status, result.counts.created, result.counts.failed) == ("partial", 19, 1)
    [letter] = pair.store.dead_letters("crm_accounts")
    assert (letter.source_id, letter.stage, letter.error_code) == (
        poison["id"],
        "write",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    )
    assert poison["id"] not in pair.erp_rows("account")

    pair.erp.clear_faults()
    [outcome] = replay(pair.store, [letter], pair.mappings)
    assert (outcome.replayed, outcome.still_failing) == (1, 0)
    assert pair.store.dead_letters("crm_accounts") == []
    assert len(pair.erp_rows("account")) == 20


def test_links_through_another_sync_and_replay_of_dead_letters(pair: Pair) -> None:
    early = pair.run(pair.contacts)  # companies are not synced yet: every contact waits
    assert early.status == "partial" and early.counts.failed == early.counts.read > 0
    letters = pair.store.dead_letters("crm_contacts", limit=10_000)
    assert {d.stage for d in letters} == {"lookup"} and pair.erp_rows("contact") == {}
    assert "has not been synced by 'crm_accounts'" in letters[0].message

    pair.run(pair.accounts)
    [outcome] = replay(pair.store, letters, pair.mappings)
    assert (outcome.replayed, outcome.still_failing, outcome.missing) == (len(letters), 0, [])
    companies = {crm_id: row["id"] for crm_id, row in pair.erp_rows("account").items()}
    contacts = {r["id"]: r for r in pair.crm.rows("contact")}
    erp_contacts = pair.erp_rows("contact")
    assert set(erp_contacts) == set(contacts)
    assert all(row["account_id"] == companies[contacts[i]["account_id"]] for i, row in erp_contacts.items())
    assert pair.run(pair.contacts).counts.written == 0


def test_an_unknown_outcome_is_parked_then_settled_without_duplicates(pair: Pair) -> None:
    pair.erp.add_fault("drop", operation="account.create", after=True)  # applied, answer lost
    first = pair.run(pair.accounts)
    assert first.counts.failed == 20 and first.counts.created == 0
    assert {d.error_code for d in pair.store.dead_letters("crm_accounts")} == {"OUTCOME_UNKNOWN"}
    assert len(pair.erp_rows("account")) == 20  # they did land
    assert pair.writes(pair.erp) == {"account.create": 1}

    parked = pair.run(pair.accounts)  # not settled yet: left alone, even though read again
    assert parked.counts.written == 0 and pair.writes(pair.erp) == {"account.create": 1}

    settled = pair.run(pair.accounts, settle=timedelta(0))  # found through the match field, adopted
    assert settled.counts.created == 0 and settled.counts.failed == 0
    assert pair.writes(pair.erp).get("account.create") == 1
    assert pair.store.dead_letters("crm_accounts") == []
    refs = [r["external_ref"] for r in pair.erp.rows("account")]
    assert len(refs) == len(set(refs)) == 20


def test_a_rate_limited_write_is_retried_and_lands_once(pair: Pair) -> None:
    pair.erp.add_fault("rate_limit", operation="account.create", retry_after=0)
    result = pair.run(pair.accounts)
    assert (result.counts.created, result.counts.failed) == (20, 0)
    assert pair.writes(pair.erp) == {"account.create": 2}  # refused once, then sent again
    assert len(pair.erp_rows("account")) == 20

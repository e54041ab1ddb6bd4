"""The shipped HubSpot -> Salesforce syncs end to end: both sandboxes, both real clients, a real state store.

What Salesforce holds is read from its sandbox's store directly (not through the
connector under test), so a duplicate or a lost record cannot hide behind the
engine's own counters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.hubspot.sandbox.values import now_ms
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import run_mapping

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
LEADS = MAPPINGS / "hubspot_contact_to_salesforce_lead.yaml"
CONTACTS = MAPPINGS / "hubspot_contact_to_salesforce_contact.yaml"
LEAD_CONSENT = MAPPINGS / "hubspot_consent_to_salesforce_lead.yaml"
CONTACT_CONSENT = MAPPINGS / "hubspot_consent_to_salesforce_contact.yaml"
ALL = (LEADS, LEAD_CONSENT, CONTACTS, CONTACT_CONSENT)
WRITES = ("POST composite/sobjects", "PATCH composite/sobjects")
KNOWN = 12  # HubSpot contacts added with the emails of existing Salesforce Contacts


@dataclass
class Pair:
    hs: HubSpotSandbox
    sf: SalesforceSandbox
    store: StateStore

    def run(self, mapping: Path, **options: Any) -> RunResult:
        return run_mapping(mapping, self.store, RunOptions(**options))

    def sf_rows(self, obj: str, where: str = "1 = 1") -> list[dict[str, Any]]:
        columns = "Id, Email, FirstName, LastName, Title, HasOptedOutOfEmail"
        sql = f'SELECT {columns} FROM "{obj}" WHERE IsDeleted = 0'
        return [dict(r) for r in self.sf.store.query(f"{sql} AND {where}")]

    def sf_by_email(self, obj: str) -> dict[str, dict[str, Any]]:
        return {str(r["Email"]).lower(): r for r in self.sf_rows(obj, "Email IS NOT NULL")}

    def hs_contacts(self) -> dict[str, dict[str, Any]]:
        """Live HubSpot contacts by email (lower case), with their id."""
        return {
            str(p["email"]).lower(): {**p, "id": i} for i, p in self.hs.live("contacts") if p.get("email")
        }

    def sf_writes(self) -> int:
        ops = self.sf.stats()["by_operation"]
        return sum(n for name, n in ops.items() if name in WRITES or name.startswith("PATCH sobjects/"))


@pytest.fixture
def pair(
    hs_fresh: HubSpotSandbox,
    sf_sandbox_fresh: SalesforceSandbox,
    hs_conn_env: str,
    sf_conn_env: str,
    sqlite_state_url: str,
) -> Iterator[Pair]:
    """Both sandboxes fresh; HubSpot also holds KNOWN people who are Salesforce Contacts already."""
    known = [r for r in sf_sandbox_fresh.store.query('SELECT Email FROM "Contact" WHERE Email IS NOT NULL')]
    emails = sorted({str(r["Email"]).lower() for r in known})[:KNOWN]
    hs_fresh.insert(
        "contacts",
        [
            {"email": e, "firstname": "Known", "lastname": f"Customer {n}", "jobtitle": "Buyer (HubSpot)",
             "hs_email_optout": "false"}
            for n, e in enumerate(emails)
        ],
    )  # fmt: skip
    store = StateStore.open(sqlite_state_url)
    yield Pair(hs_fresh, sf_sandbox_fresh, store)
    store.close()


def _run_all(p: Pair, **options: Any) -> list[RunResult]:
    return [p.run(m, **options) for m in ALL]


def test_new_people_become_leads_once(pair: Pair) -> None:
    contacts = pair.hs_contacts()
    before = len(pair.sf_rows("Lead"))  # the Salesforce demo data has Leads of its own
    first = pair.run(LEADS)
    leads = pair.sf_by_email("Lead")
    assert first.status == "succeeded"
    assert first.counts.created == len(contacts) == len(pair.sf_rows("Lead")) - before
    for email, person in contacts.items():
        lead = leads[email]
        assert (lead["FirstName"], lead["LastName"]) == (person["firstname"], person["lastname"])
        assert bool(lead["HasOptedOutOfEmail"]) == (person["hs_email_optout"] == "true")
    assert sum(bool(r["HasOptedOutOfEmail"]) for r in leads.values()) > 0  # the seed has unsubscribed people

    pair.sf.reset_stats()
    second = pair.run(LEADS)
    assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0)
    assert pair.sf_writes() == 0
    assert len(pair.sf_rows("Lead")) == before + len(contacts)


def test_existing_contacts_are_updated_never_created(pair: Pair) -> None:
    before = len(pair.sf_rows("Contact"))
    first = pair.run(CONTACTS)
    assert first.status == "succeeded"
    assert first.counts.updated == KNOWN and first.counts.created == 0
    assert first.counts.skipped == first.counts.read - KNOWN  # no Salesforce Contact has their email
    assert len(pair.sf_rows("Contact")) == before
    updated = pair.sf_rows("Contact", "Title = 'Buyer (HubSpot)'")
    assert len(updated) == KNOWN and all(r["FirstName"] == "Known" for r in updated)

    pair.sf.reset_stats()
    second = pair.run(CONTACTS)
    assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0)
    assert pair.sf_writes() == 0


def test_consent_runs_write_nothing_the_second_time(pair: Pair) -> None:
    pair.run(LEADS)
    for mapping in (LEAD_CONSENT, CONTACT_CONSENT):
        first = pair.run(mapping)
        assert first.status == "succeeded" and first.counts.failed == 0
        pair.sf.reset_stats()
        second = pair.run(mapping)
        assert (second.counts.created, second.counts.updated, second.counts.failed) == (0, 0, 0)
        assert pair.sf_writes() == 0


def _unsubscribe(p: Pair, emails: list[str], optout: bool, at_ms: int) -> None:
    people = p.hs_contacts()
    for email in emails:
        p.hs.change("contacts", people[email]["id"], {"hs_email_optout": str(optout).lower()}, at_ms=at_ms)


@pytest.mark.slow  # all four HubSpot syncs run four times: the longest test here but the storm
def test_an_unsubscribe_flows_and_is_never_undone(pair: Pair) -> None:
    _run_all(pair)
    known = sorted(pair.sf_by_email("Contact").keys() & pair.hs_contacts().keys())
    leads = pair.sf_by_email("Lead")
    hubspot = pair.hs_contacts()
    subscribed = sorted(
        e for e, r in leads.items() if e in hubspot and not r["HasOptedOutOfEmail"] and e not in known
    )
    people = [subscribed[0], known[0]]
    assert not pair.sf_by_email("Contact")[known[0]]["HasOptedOutOfEmail"]

    unsubscribed_at = now_ms()
    _unsubscribe(pair, people, True, unsubscribed_at)
    results = _run_all(pair)
    assert [r.status for r in results] == ["succeeded"] * 4
    assert pair.sf_by_email("Lead")[people[0]]["HasOptedOutOfEmail"] == 1
    assert pair.sf_by_email("Contact")[people[1]]["HasOptedOutOfEmail"] == 1
    # a Lead exists for the known Contact's email too (see the mapping's note): it is opted out as well
    assert pair.sf_by_email("Lead")[people[1]]["HasOptedOutOfEmail"] == 1

    # a stale copy: an older version read again in the overlap window, still subscribed
    _unsubscribe(pair, people, False, unsubscribed_at - 1_000)
    _run_all(pair)
    # then a real re-subscribe, later than the unsubscribe, and a rename with it
    _unsubscribe(pair, people, False, now_ms())
    pair.hs.change("contacts", pair.hs_contacts()[people[1]]["id"], {"jobtitle": "CFO (HubSpot)"})
    again = _run_all(pair)
    assert all(r.counts.failed == 0 for r in again)
    assert pair.sf_by_email("Lead")[people[0]]["HasOptedOutOfEmail"] == 1
    contact = pair.sf_by_email("Contact")[people[1]]
    assert contact["HasOptedOutOfEmail"] == 1 and contact["Title"] == "CFO (HubSpot)"  # the rest still flows
    assert pair.sf_by_email("Lead")[people[1]]["HasOptedOutOfEmail"] == 1


def test_an_opt_out_made_in_salesforce_survives_hubspot_updates(pair: Pair) -> None:
    pair.run(CONTACTS)
    email = sorted(pair.sf_by_email("Contact").keys() & pair.hs_contacts().keys())[0]
    target = pair.sf_by_email("Contact")[email]["Id"]
    pair.sf.store.execute('UPDATE "Contact" SET HasOptedOutOfEmail = 1 WHERE Id = ?', [target])
    pair.hs.change("contacts", pair.hs_contacts()[email]["id"], {"jobtitle": "Head of Purchasing"})
    assert pair.run(CONTACTS).counts.updated == 1
    row = pair.sf_by_email("Contact")[email]
    assert (row["Title"], row["HasOptedOutOfEmail"]) == ("Head of Purchasing", 1)


ARMED = {"rate_limit": 2, "server_error": 1,
         "sf:expire_sessions": 1, "sf:server_error": 2, "sf:rate_limit": 1, "sf:drop": 1}  # fmt: skip


def _storm(p: Pair) -> None:
    """The kit's fault vocabulary on both sides, armed afresh for each sync: 429 SECONDLY with
    Retry-After and a 502 on HubSpot's search, an expired Salesforce session, a 503 on its query,
    and on its writes a 500, a 429 and an answer lost after the write landed."""
    for box in (p.hs, p.sf):
        box.clear_faults()
        box.reset_stats()
    p.hs.add_fault("rate_limit", times=2, operation=r"contacts\.search", retry_after=1)
    p.hs.add_fault("server_error", times=1, operation=r"contacts\.search", status=502)
    p.sf.add_fault("expire_sessions", times=1)
    p.sf.add_fault("server_error", times=1, operation=r"^GET query", status=503)
    p.sf.add_fault("server_error", times=1, operation="composite/sobjects", status=500)
    p.sf.add_fault("rate_limit", times=1, operation="composite/sobjects", retry_after=1)
    p.sf.add_fault("drop", times=1, operation="composite/sobjects", after=True)  # landed, answer lost


def _settle_in_storm(p: Pair, mapping: Path) -> list[str]:
    """`mapping` run again until it succeeds (at most five times); writes of unknown outcome are
    looked up on the next run (settle 0: they had time to land). The statuses seen."""
    statuses: list[str] = []
    for _ in range(5):
        try:
            result = p.run(mapping, settle=timedelta(0))
        except Exception as exc:  # a run may fail outright while the storm lasts: the next one resumes
            statuses.append(type(exc).__name__)
            continue
        statuses.append(result.status)
        if result.status == "succeeded" and result.counts.failed == 0:
            break
    return statuses


@pytest.mark.slow
def test_a_fault_storm_loses_and_duplicates_nothing(pair: Pair) -> None:
    """Each of the four shipped syncs under its own storm; then Salesforce's store holds exactly what
    HubSpot says, once, and a quiet run of each writes nothing."""
    known = sorted(pair.sf_by_email("Contact").keys() & pair.hs_contacts().keys())
    early, late = known[:3], known[3:6]  # unsubscribed before any run, and between the syncs
    contacts_before, contact_count = pair.sf_by_email("Contact"), len(pair.sf_rows("Contact"))
    before = len(pair.sf_rows("Lead"))  # the Salesforce demo data has Leads of its own
    _unsubscribe(pair, early, True, now_ms())
    for mapping in ALL:
        _storm(pair)
        statuses = _settle_in_storm(pair, mapping)
        served = {**pair.hs.stats()["faults"], **{f"sf:{k}": v for k, v in pair.sf.stats()["faults"].items()}}
        assert served == ARMED, (mapping.name, served, statuses)  # every fault armed was met by this sync
        assert statuses[-1] == "succeeded", (mapping.name, statuses)
        if mapping == LEADS:  # their Leads now exist, subscribed: the consent sync must update them
            _unsubscribe(pair, late, True, now_ms())
    for box in (pair.hs, pair.sf):
        box.clear_faults()

    people = pair.hs_contacts()
    leads = pair.sf_rows("Lead")
    per_email = Counter(e for r in leads if (e := str(r["Email"]).lower()) in people)
    assert set(per_email) == set(people)  # nothing lost
    assert max(per_email.values()) == 1 and len(leads) == before + len(people)  # nothing duplicated
    by_email = pair.sf_by_email("Lead")
    for email, person in people.items():  # nothing drifted
        lead = by_email[email]
        assert (lead["FirstName"], lead["LastName"]) == (person["firstname"], person["lastname"]), email
        assert bool(lead["HasOptedOutOfEmail"]) == (person["hs_email_optout"] == "true"), email
    contacts = pair.sf_by_email("Contact")
    assert len(pair.sf_rows("Contact")) == contact_count  # update only: no Contact created
    for email in known:
        contact, person = contacts[email], people[email]
        assert (contact["FirstName"], contact["LastName"], contact["Title"]) == (
            person["firstname"], person["lastname"], person["jobtitle"]), email  # fmt: skip
        opted_out = email in early + late or bool(contacts_before[email]["HasOptedOutOfEmail"])
        assert bool(contact["HasOptedOutOfEmail"]) == opted_out, email
    assert {e for e, r in contacts.items() if r["Title"] == "Buyer (HubSpot)"} == set(known)

    for mapping in ALL:  # the storm is over: every sync is settled, nothing left open or to write
        pair.sf.reset_stats()
        final = pair.run(mapping, settle=timedelta(0))
        assert final.status == "succeeded" and final.counts.failed == 0, (mapping.name, final)
        assert (final.counts.created, final.counts.updated) == (0, 0), (mapping.name, final.counts)
        assert pair.sf_writes() == 0, mapping.name
        assert pair.store.dead_letters(final.sync) == []

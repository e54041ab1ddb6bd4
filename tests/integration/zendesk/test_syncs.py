"""The shipped Zendesk syncs end to end: Salesforce, Odoo and Zendesk sandboxes, their real clients,
a real state store. What Zendesk holds afterwards is read from its sandbox's store directly.

The chain: salesforce_account_to_odoo (shipped before) makes Odoo companies of Accounts;
odoo_company_to_zendesk makes Zendesk organizations of Odoo companies; salesforce_contact_to_zendesk
makes end users of Contacts, in the organization of their Account.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.zendesk.sandbox import ZendeskSandbox
from officebridge.retry import RetryPolicy
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import replay, run_mapping
from tests.fixtures.salesforce import SEED_ACCOUNTS, login

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
ORGS = MAPPINGS / "odoo_company_to_zendesk.yaml"
USERS = MAPPINGS / "salesforce_contact_to_zendesk.yaml"
WRITES = ("create_many", "update_many", "destroy_many", "create_or_update", ".create", ".update", ".destroy")
CHAIN = (ACCOUNTS, ORGS, USERS)
SMALL = 40  # Accounts for the fast tests (~100 Contacts); the storm moves the full demo set


@dataclass
class Chain:
    sf: SalesforceSandbox
    odoo: OdooSandbox
    zd: ZendeskSandbox
    sf_client: Salesforce
    odoo_client: Any
    store: StateStore
    seeded: frozenset[int] = frozenset()  # ids Zendesk held before any sync ran (its own demo data)

    def run(self, mapping: Path, **options: Any) -> RunResult:
        return run_mapping(mapping, self.store, RunOptions(**options))

    def companies(self) -> list[dict[str, Any]]:
        """The live Odoo companies, read through OdooRPC."""
        fields = ["id", "ref", "name", "trust", "credit_limit"]
        found: list[dict[str, Any]] = self.odoo_client.execute_kw(
            "res.partner", "search_read", [[["is_company", "=", True]]], {"fields": fields}
        )
        return found

    def contacts(self) -> list[dict[str, Any]]:
        soql = "SELECT Id, AccountId, FirstName, LastName, Email FROM Contact"
        return list(login(self.sf).query_all_iter(soql))  # a new session: a storm may have expired ours

    def zendesk(self, kind: str) -> list[dict[str, Any]]:
        """Every record of `kind` the syncs made, read from the Zendesk sandbox's store (deleted ones too)."""
        self.zd.jobs.advance()
        rows = self.zd.store.by_time(kind, start=0, until=2**40, limit=10**6)
        return [r.data for r in rows if r.id not in self.seeded]

    def zendesk_writes(self) -> dict[str, int]:
        ops: dict[str, int] = self.zd.stats()["by_operation"]
        return {op: n for op, n in ops.items() if any(w in op for w in WRITES)}


@pytest.fixture
def chain(
    request: pytest.FixtureRequest,
    *,
    sf_sandbox_fresh: SalesforceSandbox,
    odoo_fresh: OdooSandbox,
    zendesk_fresh: ZendeskSandbox,
    sf_conn_env: str,
    odoo_conn_env: str,
    zendesk_conn_env: str,
    sf_client: Salesforce,
    odoo_client: Any,
    sqlite_state_url: str,
) -> Iterator[Chain]:
    """Fresh sandboxes: Salesforce with `request.param` Accounts (default 40) and their Contacts,
    Odoo with its 30 companies, Zendesk with its 20 organizations; a SQLite state store."""
    accounts = getattr(request, "param", SMALL)
    if accounts != SEED_ACCOUNTS:
        sf_sandbox_fresh.reset()
        sf_sandbox_fresh.seed(accounts=accounts, seed=7)
    store = StateStore.open(sqlite_state_url)
    seeded = frozenset(
        r.id
        for k in ("organizations", "users")
        for r in zendesk_fresh.store.by_time(k, start=0, until=2**40, limit=10**6)
    )
    yield Chain(sf_sandbox_fresh, odoo_fresh, zendesk_fresh, sf_client, odoo_client, store, seeded)
    store.close()


def external_id(company: dict[str, Any]) -> str:
    ref = (company["ref"] or "").strip()
    return ref or f"odoo-{company['id']}"


def assert_in_step(c: Chain) -> None:
    """Zendesk holds exactly one organization per Odoo company and one user per Contact, right."""
    companies = {external_id(p): p for p in c.companies()}
    orgs = c.zendesk("organizations")
    twice = [k for k, n in Counter(o["external_id"] for o in orgs).items() if n > 1]
    assert twice == [], f"organizations duplicated: {twice[:5]}"
    assert {o["external_id"] for o in orgs} == set(companies), "an organization is missing or extra"
    for org in orgs:
        company = companies[org["external_id"]]
        assert org["name"] == f"{company['name'].strip()} (#{company['id']})"
        trust = company["trust"] or "normal"  # unset (False over RPC) is Odoo's default, normal
        assert org["tags"] == [f"credit_{trust}"]
        assert f"Debtor trust (Odoo): {trust}" in org["notes"]
    org_of = {o["external_id"]: o["id"] for o in orgs}

    contacts = {c["Id"]: c for c in c.contacts()}
    users = c.zendesk("users")
    twice = [k for k, n in Counter(u["external_id"] for u in users).items() if n > 1]
    assert twice == [], f"users duplicated: {twice[:5]}"
    assert {u["external_id"] for u in users} == set(contacts), "a user is missing or extra"
    for user in users:
        contact = contacts[user["external_id"]]
        assert user["role"] == "end-user" and user["active"] is True
        assert user["organization_id"] == org_of[contact["AccountId"]]
        assert isinstance(user["organization_id"], int)  # Zendesk ids are numbers, not text
        assert user["email"] == ((contact["Email"] or "").strip().lower() or None)
        assert user["name"] == f"{contact['FirstName'] or ''} {contact['LastName']}".strip()


def test_shipped_syncs_run_twice_and_the_second_writes_nothing(chain: Chain) -> None:
    first = [chain.run(m) for m in CHAIN]
    assert [r.status for r in first] == ["succeeded"] * 3, [r.error for r in first]
    orgs, users = first[1].counts, first[2].counts
    assert orgs.created == len(chain.companies()) > SMALL  # the Accounts' companies and Odoo's own
    assert users.created == len(chain.contacts()) > SMALL
    assert (orgs.failed, users.failed) == (0, 0)
    assert_in_step(chain)

    chain.zd.reset_stats()
    again = [chain.run(m) for m in (ORGS, USERS)]
    assert [r.status for r in again] == ["succeeded"] * 2
    for result in again:
        assert (result.counts.created, result.counts.updated, result.counts.failed) == (0, 0, 0)
        assert result.counts.unchanged == result.counts.read  # the overlap window, read again
    assert chain.zendesk_writes() == {}, "a second run wrote to Zendesk"
    assert_in_step(chain)


def test_edits_in_odoo_and_salesforce_flow_to_zendesk(chain: Chain) -> None:
    for mapping in CHAIN:
        chain.run(mapping)
    company = next(p for p in chain.companies() if p["trust"] != "bad")
    chain.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"trust": "bad"}])
    contact = chain.contacts()[0]
    chain.sf_client.Contact.update(contact["Id"], {"Email": "New.Address@Example.org"})

    orgs, users = chain.run(ORGS), chain.run(USERS)
    assert (orgs.counts.updated, orgs.counts.created) == (1, 0)
    assert (users.counts.updated, users.counts.created) == (1, 0)
    [org] = [o for o in chain.zendesk("organizations") if o["external_id"] == external_id(company)]
    assert org["tags"] == ["credit_bad"]
    [user] = [u for u in chain.zendesk("users") if u["external_id"] == contact["Id"]]
    assert user["email"] == "new.address@example.org"
    assert_in_step(chain)


def arm_storm(c: Chain) -> None:
    """The kit's fault vocabulary on every hop: 429s with Retry-After, 5xx, lost answers, an
    expired Salesforce session."""
    zd = c.zd
    zd.add_fault("rate_limit", times=4, operation=r"create_many", retry_after=1)
    zd.add_fault("server_error", times=1, operation=r"^organizations\.create_many$", status=503)
    zd.add_fault("drop", times=1, operation=r"^users\.create_many$", after=True)  # queued, answer lost
    zd.add_fault("server_error", times=2, operation=r"show_many", status=502)
    zd.add_fault("server_error", times=3, operation=r"^job_statuses", status=500)
    zd.add_fault("rate_limit", times=2, operation=r"^job_statuses", retry_after=1)
    c.sf.add_fault("expire_sessions", times=1, operation=r"^GET query")
    c.sf.add_fault("server_error", times=1, operation=r"^GET query", status=503)
    c.odoo.add_fault("server_error", times=1, operation=r"^res\.partner\.search_read$", status=502)


@pytest.mark.slow
@pytest.mark.parametrize("chain", [SEED_ACCOUNTS], indirect=True)
def test_a_fault_storm_loses_and_duplicates_nothing(chain: Chain) -> None:
    arm_storm(chain)
    fast = RetryPolicy(attempts=6, base=0.05, cap=0.5)
    stormy = [chain.run(m, retry=fast) for m in CHAIN]
    assert all(r.status in ("succeeded", "partial") for r in stormy), [r.error for r in stormy]
    served = chain.zd.stats()["faults"]
    assert sum(served.values()) >= 13, served  # every armed Zendesk fault was served
    assert stormy[1].counts.failed > 0, "the create_many that got a 503 parks its organizations"

    # the next runs look the parked records up first (settle 0: they had time to land) and write
    # only what is missing: the 503'd organizations are created, the dropped users (whose job did
    # land) are found and adopted, never created twice
    later = [chain.run(m, settle=timedelta(0)) for m in (ORGS, USERS)]
    assert all(r.status == "succeeded" for r in later), [r.error for r in later]
    assert later[0].counts.created > 0 and later[1].counts.created == 0

    # Contacts whose organization was parked could not be placed: dead letters at stage lookup,
    # replayed (as an operator does from the Syncs view) now that the organizations exist
    letters = chain.store.dead_letters("salesforce_contact_to_zendesk", limit=10_000)
    assert letters and {d.stage for d in letters} == {"lookup"}
    [outcome] = replay(chain.store, letters, MAPPINGS)
    assert (outcome.replayed, outcome.still_failing) == (len(letters), 0)
    for sync in ("odoo_company_to_zendesk", "salesforce_contact_to_zendesk"):
        assert chain.store.dead_letters(sync) == [], f"{sync} left dead letters"
    assert_in_step(chain)

    chain.zd.reset_stats()
    quiet = [chain.run(m) for m in (ORGS, USERS)]
    assert all(r.counts.created == r.counts.updated == r.counts.failed == 0 for r in quiet)
    assert chain.zendesk_writes() == {}

    summary_storm(chain, fast)


def arm_summary_storm(c: Chain) -> None:
    """The same vocabulary on the ticket summary's hops: every Zendesk read it makes and the
    Salesforce Account updates (429, 5xx, an answer lost after the update landed, an expired session)."""
    zd = c.zd
    zd.add_fault("rate_limit", times=2, operation=r"^tickets\.incremental_cursor$", retry_after=1)
    zd.add_fault("server_error", times=1, operation=r"^ticket_events\.incremental$", status=503)
    zd.add_fault("server_error", times=2, operation=r"^organizations\.tickets$", status=502)
    zd.add_fault("rate_limit", times=2, operation=r"^organizations\.tickets$", retry_after=1)
    zd.add_fault("server_error", times=1, operation=r"^organizations\.show_many$", status=500)
    c.sf.add_fault("rate_limit", times=1, operation="composite/sobjects", retry_after=1)
    c.sf.add_fault("drop", times=1, operation="PATCH composite/sobjects", after=True)  # landed, answer lost
    c.sf.add_fault("expire_sessions", times=1, operation="PATCH composite/sobjects")
    c.sf.add_fault("server_error", times=1, operation="PATCH composite/sobjects", status=503)


SUMMARY_ARMED = {"rate_limit": 4, "server_error": 4,
                 "sf:rate_limit": 1, "sf:drop": 1, "sf:expire_sessions": 1, "sf:server_error": 1}  # fmt: skip
SUMMARY_FIELDS = "Open_Tickets__c, Last_Ticket_At__c"


def summaries_in_salesforce(c: Chain) -> dict[str, tuple[Any, Any]]:
    """(Open_Tickets__c, Last_Ticket_At__c) of every Account, read from the Salesforce sandbox's store."""
    rows = c.sf.store.query(f'SELECT Id, {SUMMARY_FIELDS} FROM "Account" WHERE IsDeleted = 0')
    return {str(r["Id"]): (r["Open_Tickets__c"], r["Last_Ticket_At__c"]) for r in rows}


def summary_storm(c: Chain, retry: RetryPolicy) -> None:
    """Tickets raised, then zendesk_tickets_to_salesforce_account under a storm until it settles:
    every Account equals a count of the Zendesk sandbox's store, the others untouched, nothing twice."""
    # imported here: that module imports this one (its chain fixture)
    from tests.integration.zendesk.test_ticket_summary import (  # noqa: PLC0415
        LAG,
        SUMMARY,
        expected,
        raise_tickets,
    )

    before = summaries_in_salesforce(c)
    assert len(raise_tickets(c)) > 10
    c.zd.advance(LAG)
    want = {s["organization_external_id"]: s for s in expected(c.zd).values()
            if (s["organization_external_id"] or "").startswith("001")}  # fmt: skip
    assert len(want) > 20
    c.zd.reset_stats()
    c.sf.reset_stats()
    arm_summary_storm(c)
    statuses = []
    for _ in range(4):  # again until it settles; writes of unknown outcome are looked up first
        try:
            statuses.append(c.run(SUMMARY, retry=retry, settle=timedelta(0)).status)
        except Exception as exc:  # a run may fail outright while the storm lasts: the next one resumes
            statuses.append(type(exc).__name__)
    served = {**c.zd.stats()["faults"], **{f"sf:{k}": v for k, v in c.sf.stats()["faults"].items()}}
    assert served == SUMMARY_ARMED, served  # every armed fault was met
    final = c.run(SUMMARY, settle=timedelta(0))
    assert final.status == "succeeded" and final.counts.failed == 0, (statuses, final)
    assert c.store.dead_letters("zendesk_tickets_to_salesforce_account") == []

    held = summaries_in_salesforce(c)
    assert held.keys() == before.keys(), "an Account was created or lost"
    for account, (open_tickets, last_at) in held.items():
        if account not in want:
            assert (open_tickets, last_at) == before[account], f"{account} has no tickets but was changed"
            continue
        assert open_tickets == want[account]["open_tickets"], account
        assert last_at is not None and str(last_at)[:19] == want[account]["last_ticket_at"][:19], account

    c.sf.reset_stats()
    quiet = c.run(SUMMARY)
    assert (quiet.counts.created, quiet.counts.updated, quiet.counts.failed) == (0, 0, 0), quiet.counts
    writes = [op for op in c.sf.stats()["by_operation"] if not op.startswith(("GET", "POST login"))]
    assert writes == [], "the run after the storm wrote to Salesforce"

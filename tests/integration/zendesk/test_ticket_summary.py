"""`ticket_summaries` through zenpy against the Zendesk sandbox, and the shipped summary sync end to end.

Every expected figure is counted here from the sandbox's store directly (never through the
connector under test): live tickets per organization, open ones (new, open, pending, hold),
solved ones (solved, closed), the newest created_at.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.zendesk.connector import ZendeskConnector
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.sandbox.writer import Pending
from officebridge.connector import OpKind, ReadRequest, SourceRecord, WriteOp, WriteStatus
from officebridge.errors import ConfigError
from tests.integration.zendesk.test_syncs import CHAIN, MAPPINGS, Chain, chain  # noqa: F401 - the fixture

SUMMARY = MAPPINGS / "zendesk_tickets_to_salesforce_account.yaml"
FIELDS = ("organization_id", "organization_external_id", "tickets", "open_tickets", "solved_tickets",
          "last_ticket_at")  # fmt: skip
LAG = 61  # seconds past the exports' one-minute hold-back


def expected(sb: ZendeskSandbox) -> dict[str, dict[str, Any]]:
    """Per organization with live tickets, its summary counted from the store."""
    orgs = {r.id: r.data for r in sb.store.by_time("organizations", start=0, until=2**40, limit=10**6)}
    out: dict[str, dict[str, Any]] = {}
    for row in sb.store.by_time("tickets", start=0, until=2**40, limit=10**6):
        t = row.data
        if t.get("status") == "deleted" or t.get("organization_id") not in orgs:
            continue
        org = orgs[t["organization_id"]]
        s = out.setdefault(str(org["id"]), {"organization_id": org["id"], "organization_external_id":
                           org["external_id"], "tickets": 0, "open_tickets": 0, "solved_tickets": 0,
                           "last_ticket_at": None})  # fmt: skip
        s["tickets"] += 1
        s["open_tickets"] += t["status"] in ("new", "open", "pending", "hold")
        s["solved_tickets"] += t["status"] in ("solved", "closed")
        s["last_ticket_at"] = max(filter(None, [s["last_ticket_at"], t["created_at"]]))
    return out


def counted(org_id: int, sb: ZendeskSandbox) -> dict[str, Any]:
    return expected(sb).get(str(org_id)) or {"organization_id": org_id, "tickets": 0, "open_tickets": 0,
                                             "solved_tickets": 0, "last_ticket_at": None}  # fmt: skip


def read_all(zd: ZendeskConnector, since: str | None = None) -> tuple[list[SourceRecord], str | None]:
    records, resume = [], since
    for page in zd.read(ReadRequest(object="ticket_summaries", fields=FIELDS, since=since, batch_size=25)):
        records += page.records
        resume = page.resume
    return records, resume


def live_tickets(sb: ZendeskSandbox) -> list[dict[str, Any]]:
    rows = sb.store.by_time("tickets", start=0, until=2**40, limit=10**6)
    return [r.data for r in rows if r.data["status"] != "deleted" and r.data.get("organization_id")]


# --- the connector ---------------------------------------------------------------------------------


def test_describe_declares_a_read_only_object(zendesk: ZendeskConnector) -> None:
    info = zendesk.describe("ticket_summaries")
    assert set(FIELDS) <= set(info.fields)
    assert all(f.readonly for f in info.fields.values())
    assert info.fields["last_ticket_at"].kind.value == "datetime"


def test_the_first_read_equals_a_count_of_the_store_for_every_organization(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    want = expected(zendesk_fresh)
    assert len(want) > 10  # the seed gives most organizations tickets
    records, resume = read_all(zendesk)
    assert resume is not None and resume.startswith("summary:")
    got = {r.id: r.fields for r in records}  # an organization may come on two pages: the last one counts
    assert got == {k: {f: v.get(f) for f in FIELDS} for k, v in want.items()}
    ops = zendesk_fresh.stats()["by_operation"]
    assert ops["organizations.tickets"] >= len(want) and ops["organizations.show_many"] >= 1


def test_fetch_recounts_by_organization_id(zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox) -> None:
    want = expected(zendesk_fresh)
    ids = sorted(want)[:3]
    got = zendesk.fetch("ticket_summaries", FIELDS, [*ids, "99999999999"])
    assert [r.id for r in got if not r.deleted] == ids
    assert {r.id: r.fields for r in got if not r.deleted} == {i: {f: want[i][f] for f in FIELDS} for i in ids}
    assert [r.id for r in got if r.deleted] == ["99999999999"]  # no such organization
    assert zendesk.lookup("ticket_summaries", "organization_id", ids) == {i: i for i in ids}
    with pytest.raises(ConfigError):
        zendesk.lookup("ticket_summaries", "tickets", [1])


def test_writes_are_refused_per_operation(zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox) -> None:
    ops = [WriteOp(OpKind.CREATE, "a", {"open_tickets": 1}), WriteOp(OpKind.UPDATE, "b", {}, target_id="1")]
    results = zendesk.write("ticket_summaries", ops)
    assert [(r.ref, r.status, r.error_code) for r in results] == [
        ("a", WriteStatus.FAILED, "READ_ONLY_OBJECT"),
        ("b", WriteStatus.FAILED, "READ_ONLY_OBJECT"),
    ]
    assert not any("create" in op or "update" in op for op in zendesk_fresh.stats()["by_operation"])


def test_each_kind_of_change_recounts_exactly_the_affected_summaries(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    sb = zendesk_fresh
    _, token = read_all(zendesk)
    tickets = live_tickets(sb)
    by_org: dict[int, list[dict[str, Any]]] = {}
    for t in tickets:
        by_org.setdefault(t["organization_id"], []).append(t)
    orgs = sorted(by_org)
    a, b, c, d, e = orgs[:5]  # five organizations with tickets, each touched once
    created = sb.writer.apply("tickets", Pending("create", {
        "subject": "New", "description": "A new one", "requester_id": by_org[a][0]["requester_id"],
        "organization_id": a}))  # fmt: skip
    unsolved = next((t for t in by_org[b] if t["status"] not in ("solved", "closed")), by_org[b][0])
    sb.writer.apply("tickets", Pending("update", {"id": unsolved["id"], "status": "solved"}))
    sb.writer.apply("tickets", Pending("delete", {"id": by_org[c][0]["id"]}))
    sb.writer.apply("tickets", Pending("update", {"id": by_org[d][0]["id"], "organization_id": e}))
    assert created.created
    sb.advance(LAG)

    records, again = read_all(zendesk, token)
    assert again != token
    assert sorted(r.id for r in records) == sorted(str(o) for o in (a, b, c, d, e))
    for r in records:
        want = counted(int(r.id), sb)
        assert r.fields == {f: want.get(f) for f in FIELDS}, r.id
    assert {r.id: r.fields["tickets"] for r in records}[str(e)] == len(by_org[e]) + 1  # the moved ticket
    assert {r.id: r.fields["tickets"] for r in records}[str(d)] == len(by_org[d]) - 1  # it left d

    nothing, same = read_all(zendesk, again)
    assert nothing == [] and same == again  # nothing changed: nothing read, the watermark stays


def test_an_organization_whose_tickets_all_left_comes_with_zero_counts(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    sb = zendesk_fresh
    _, token = read_all(zendesk)
    by_org: dict[int, list[dict[str, Any]]] = {}
    for t in live_tickets(sb):
        by_org.setdefault(t["organization_id"], []).append(t)
    source, dest = sorted(by_org)[:2]
    for t in by_org[source]:
        sb.writer.apply("tickets", Pending("update", {"id": t["id"], "organization_id": dest}))
    sb.advance(LAG)
    records, _ = read_all(zendesk, token)
    got = {r.id: r.fields for r in records}
    assert got[str(source)]["tickets"] == got[str(source)]["open_tickets"] == 0
    assert got[str(source)]["last_ticket_at"] is None
    assert got[str(dest)]["tickets"] == len(by_org[dest]) + len(by_org[source])


# --- the shipped sync, end to end -------------------------------------------------------------------


def raise_tickets(c: Chain) -> list[dict[str, Any]]:
    """Tickets from a third of the synced end users (statuses cycling), as customers raise them."""
    users = sorted((u for u in c.zendesk("users") if u.get("organization_id")), key=lambda u: u["id"])
    statuses = ("new", "open", "solved", "pending", "closed", "hold")
    made = []
    for n, user in enumerate(users[::3]):
        for k in range(1 + n % 2):
            data = {"subject": f"Help {n}.{k}", "description": "Please help", "requester_id": user["id"],
                    "status": statuses[(n + k) % len(statuses)]}  # fmt: skip
            made.append(c.zd.writer.apply("tickets", Pending("create", data)).record)
    return made


def accounts(c: Chain) -> dict[str, dict[str, Any]]:
    soql = "SELECT Id, Open_Tickets__c, Last_Ticket_At__c FROM Account"
    return {a["Id"]: a for a in c.sf_client.query_all(soql)["records"]}


def assert_summaries_on_accounts(c: Chain) -> int:
    """Every Account whose organization has tickets shows its open count and newest ticket (how many)."""
    held = accounts(c)
    checked = 0
    for summary in expected(c.zd).values():
        ext = summary["organization_external_id"] or ""
        if not ext.startswith("001"):
            continue
        account = held[ext]
        assert account["Open_Tickets__c"] == summary["open_tickets"], ext
        assert account["Last_Ticket_At__c"] is not None
        assert account["Last_Ticket_At__c"][:19] == summary["last_ticket_at"][:19], ext
        checked += 1
    return checked


def test_accounts_to_ticket_summaries_end_to_end_twice(chain: Chain) -> None:  # noqa: F811 - the fixture
    first = [chain.run(m) for m in CHAIN]
    assert [r.status for r in first] == ["succeeded"] * 3, [r.error for r in first]
    made = raise_tickets(chain)
    assert len(made) > 10
    chain.zd.advance(LAG)

    summary = chain.run(SUMMARY)
    assert summary.status == "succeeded", summary.error
    checked = assert_summaries_on_accounts(chain)
    assert checked > 5 and summary.counts.updated == checked and summary.counts.failed == 0
    # the seeded organizations (ZD-ORG-…) and Odoo-only companies have no Account: filtered by `where`
    assert summary.counts.skipped > 0

    chain.sf.reset_stats()
    again = chain.run(SUMMARY)
    assert again.status == "succeeded"
    assert (again.counts.created, again.counts.updated, again.counts.failed) == (0, 0, 0)
    ops = chain.sf.stats()["by_operation"]
    writes = {op: n for op, n in ops.items() if not op.startswith(("GET", "POST login"))}
    assert writes == {}, "the second run wrote to Salesforce"

    # one ticket solved: exactly its Account changes on the next run
    ticket = next(t for t in made if t["status"] in ("new", "open"))
    chain.zd.writer.apply("tickets", Pending("update", {"id": ticket["id"], "status": "solved"}))
    chain.zd.advance(LAG)
    third = chain.run(SUMMARY)
    assert (third.counts.updated, third.counts.failed) == (1, 0)
    assert assert_summaries_on_accounts(chain) == checked

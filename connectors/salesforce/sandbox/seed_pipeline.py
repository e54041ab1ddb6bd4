"""Demo Leads, Opportunities, Cases and Users for the Salesforce sandbox seed.

So that a new mapping of these objects previews real records. Picklist values
come from the recorded describes (`describe/*.json`: StageName, Lead Status,
Case Status/Origin/Priority, ...); the derived values Salesforce fills itself
are filled the way it does: an Opportunity's Probability and
ForecastCategoryName follow its stage (the standard OpportunityStage table),
IsClosed/IsWon from the stage, ExpectedRevenue = Amount x Probability;
a Case is closed with ClosedDate when its Status is Closed. The demo Users
share their e-mail addresses with the Odoo sandbox's demo employees, as one
company's people would.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from connectors.salesforce.sandbox.store import Store, format_datetime

# Standard stages of a new org: (probability %, forecast category, closed, won)
STAGES = {
    "Prospecting": (10, "Pipeline", False, False),
    "Qualification": (10, "Pipeline", False, False),
    "Needs Analysis": (20, "Pipeline", False, False),
    "Value Proposition": (50, "Pipeline", False, False),
    "Id. Decision Makers": (60, "Pipeline", False, False),
    "Perception Analysis": (70, "Pipeline", False, False),
    "Proposal/Price Quote": (75, "Pipeline", False, False),
    "Negotiation/Review": (90, "Commit", False, False),
    "Closed Won": (100, "Closed", True, True),
    "Closed Lost": (0, "Omitted", True, False),
}
FORECAST_CODE = {"Pipeline": "Pipeline", "Commit": "Forecast", "Closed": "Closed", "Omitted": "Omitted"}
PRODUCTS = ["Platform licence", "Support renewal", "Onboarding", "Expansion", "Pilot", "Integration"]
SUBJECTS = ["Cannot log in", "Invoice question", "Sync delayed", "Feature request", "Data import failed",
            "Wrong address on order", "Export to CSV", "Password reset"]  # fmt: skip
# (first, last, title, manager index or None): shared with the Odoo sandbox's demo employees
PEOPLE = [
    ("Grace", "Hopper", "VP Sales", None),
    ("Ada", "Lovelace", "Account Executive", 0),
    ("Alan", "Turing", "Account Executive", 0),
    ("Katherine", "Johnson", "Sales Engineer", 0),
    ("Hedy", "Lamarr", "Support Lead", None),
    ("Edsger", "Dijkstra", "Support Agent", 4),
]
PEOPLE_DOMAIN = "officebridge.example.com"


def person_email(first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower()}@{PEOPLE_DOMAIN}"


def seed_pipeline(
    store: Store, rnd: random.Random, accounts: list[dict[str, Any]], contacts: list[dict[str, Any]]
) -> dict[str, int]:
    """Add Users, then Opportunities and Cases for some accounts and free-standing Leads."""
    objects = store.catalog.objects
    users = _users(store)
    owners = [u["Id"] for u in users]
    by_account: dict[str, list[dict[str, Any]]] = {}
    for con in contacts:
        by_account.setdefault(con["AccountId"], []).append(con)
    opps: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    for i, acc in enumerate(accounts):
        for _ in range(rnd.choice((0, 0, 1, 1, 2))):
            opps.append(_opportunity(rnd, acc, by_account.get(acc["Id"], []), rnd.choice(owners)))
        for _ in range(rnd.choice((0, 0, 0, 1, 2))):
            cases.append(_case(rnd, acc, by_account.get(acc["Id"], []), rnd.choice(owners)))
        if i % 2 == 0:
            leads.append(_lead(rnd, acc, rnd.choice(owners)))
    for rows, name in ((opps, "Opportunity"), (cases, "Case"), (leads, "Lead")):
        for row, new_id in zip(rows, store.next_ids(objects[name], len(rows)), strict=True):
            row["Id"] = new_id
    for n, case in enumerate(cases, start=1):
        case["CaseNumber"] = f"{n:08d}"
    store.insert_rows(objects["Opportunity"], opps)
    store.insert_rows(objects["Case"], cases)
    store.insert_rows(objects["Lead"], leads)
    return {"User": len(users), "Opportunity": len(opps), "Case": len(cases), "Lead": len(leads)}


def _base(acc: dict[str, Any], owner: str) -> dict[str, Any]:
    keep = ("CreatedById", "LastModifiedById", "CreatedDate", "LastModifiedDate", "SystemModstamp")
    return {"IsDeleted": 0, "OwnerId": owner, **{k: acc[k] for k in keep}}


def _users(store: Store) -> list[dict[str, Any]]:
    spec = store.catalog.objects["User"]
    taken = {r[0] for r in store.query('SELECT "Username" FROM "User"')}
    if person_email(*PEOPLE[0][:2]) in taken:  # seeded before (seed adds, it does not replace)
        return [
            dict(r) for r in store.query('SELECT * FROM "User" WHERE "Email" LIKE ?', [f"%@{PEOPLE_DOMAIN}"])
        ]
    ids = store.next_ids(spec, len(PEOPLE))
    stamp = format_datetime(datetime(2024, 1, 2, 9, 0, 0))
    rows: list[dict[str, Any]] = []
    for (first, last, title, manager), uid in zip(PEOPLE, ids, strict=True):
        email = person_email(first, last)
        rows.append(
            {
                "Id": uid,
                "Username": email,
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "CompanyName": "officebridge demo",
                "Title": title,
                "Email": email,
                "Alias": (first[0] + last)[:8].lower(),
                "IsActive": 1,
                "TimeZoneSidKey": "Europe/Paris",
                "LocaleSidKey": "en_US",
                "EmailEncodingKey": "UTF-8",
                "LanguageLocaleKey": "en_US",
                "ProfileId": "00e5g000000SBOXAA4",
                "ManagerId": ids[manager] if manager is not None else None,
                "CreatedDate": stamp,
                "CreatedById": uid,
                "LastModifiedDate": stamp,
                "LastModifiedById": uid,
                "SystemModstamp": stamp,
            }
        )
    store.insert_rows(spec, rows)
    return rows


def _opportunity(
    rnd: random.Random, acc: dict[str, Any], contacts: list[dict[str, Any]], owner: str
) -> dict[str, Any]:
    stage = rnd.choice(list(STAGES))
    probability, forecast, closed, won = STAGES[stage]
    amount = float(rnd.randint(5, 400) * 500)
    close = date(2024, 1, 1) + timedelta(days=rnd.randint(0, 700))
    return {
        **_base(acc, owner),
        "AccountId": acc["Id"],
        "ContactId": rnd.choice(contacts)["Id"] if contacts and rnd.random() < 0.7 else None,
        "Name": f"{acc['Name']} - {rnd.choice(PRODUCTS)}",
        "StageName": stage,
        "Amount": amount,
        "Probability": float(probability),
        "ExpectedRevenue": round(amount * probability / 100, 2),
        "CloseDate": close.isoformat(),
        "Type": rnd.choice(["New Customer", "Existing Customer - Upgrade", None]),
        "LeadSource": rnd.choice(["Web", "Phone Inquiry", "Partner Referral", None]),
        "IsClosed": int(closed),
        "IsWon": int(won),
        "IsPrivate": 0,
        "HasOpportunityLineItem": 0,
        "ForecastCategory": FORECAST_CODE[forecast],
        "ForecastCategoryName": forecast,
        "FiscalYear": close.year,
        "FiscalQuarter": (close.month - 1) // 3 + 1,
        "Fiscal": f"{close.year} {(close.month - 1) // 3 + 1}",
    }


def _case(
    rnd: random.Random, acc: dict[str, Any], contacts: list[dict[str, Any]], owner: str
) -> dict[str, Any]:
    status = rnd.choice(["New", "Working", "Escalated", "Closed", "Closed"])
    contact = rnd.choice(contacts) if contacts else None
    return {
        **_base(acc, owner),
        "AccountId": acc["Id"],
        "ContactId": contact["Id"] if contact else None,
        "Subject": rnd.choice(SUBJECTS),
        "Status": status,
        "Origin": rnd.choice(["Phone", "Email", "Web"]),
        "Priority": rnd.choice(["High", "Medium", "Medium", "Low"]),
        "Type": rnd.choice(["Mechanical", "Electrical", "Electronic", "Other", None]),
        "Reason": rnd.choice(["Installation", "Performance", "Breakdown", "Feedback", None]),
        "IsClosed": int(status == "Closed"),
        "ClosedDate": acc["SystemModstamp"] if status == "Closed" else None,
        "IsEscalated": int(status == "Escalated"),
        "ContactEmail": contact.get("Email") if contact else None,
    }


def _lead(rnd: random.Random, acc: dict[str, Any], owner: str) -> dict[str, Any]:
    first = rnd.choice(["Mia", "Jonas", "Léa", "Pablo", "Yuki", "Oskar", "Amélie", "Ravi"])
    last = rnd.choice(["Keller", "Moreau", "García", "Tanaka", "Nowak", "Singh", "Rossi", "Berg"])
    company = f"{acc['Name'].split()[0]} Prospects"
    status = rnd.choice(["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"])
    return {
        **_base(acc, owner),
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}",
        "Company": company,
        "Title": rnd.choice(["Buyer", "CTO", "Office Manager", None]),
        "Email": f"lead.{acc['Id'][-6:].lower()}@example.org",
        "Status": status,
        "LeadSource": rnd.choice(["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]),
        "Industry": rnd.choice(["Technology", "Retail", "Manufacturing", "Banking", None]),
        "Rating": rnd.choice(["Hot", "Warm", "Cold", None]),
        "City": acc.get("BillingCity"),
        "Country": acc.get("BillingCountry"),
        "IsConverted": 0,
        "IsUnreadByOwner": 0,
        "HasOptedOutOfEmail": 0,
    }

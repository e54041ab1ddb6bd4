"""Deterministic demo data: companies, their contacts (some unsubscribed from email) and deals.

Stamps are spread over the 30 days before a fixed moment, and records are
written in groups that share one millisecond, as a batch import leaves them in
HubSpot, so readers meet ties on the modification stamp from the first run.
About one contact in seven has unsubscribed from all email (`hs_email_optout`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from connectors.hubspot.sandbox.schema import (
    CONTACT_TO_COMPANY_PRIMARY,
    DEAL_STAGES,
    INDUSTRIES,
    LEAD_STATUS,
    OBJECTS,
)
from connectors.hubspot.sandbox.store import Row, Store
from connectors.hubspot.sandbox.values import iso

SEEDED_UNTIL = int(datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp() * 1000)
FIRST = (
    "Anna",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farid",
    "Greta",
    "Hiro",
    "Inès",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
)
LAST = (
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petit",
    "Rossi",
    "Schmidt",
)
WORDS = ("Nordic", "Alpine", "Harbor", "Summit", "Cedar", "Atlas", "Beacon", "Copper", "Delta", "Ember")
KINDS = ("Logistics", "Software", "Foods", "Robotics", "Clinics", "Textiles", "Energy", "Print")
COUNTRIES = (
    ("Germany", "Berlin"),
    ("France", "Lyon"),
    ("Netherlands", "Utrecht"),
    ("Sweden", "Malmö"),
    ("United States", "Boston"),
    ("Spain", "Valencia"),
    ("Poland", "Kraków"),
)
TITLES = ("Head of Purchasing", "CFO", "Operations Manager", "IT Director", "Marketing Lead", "Buyer")


def _stamps(rng: random.Random, count: int) -> list[int]:
    """`count` stamps, ascending, in groups of 1-6 sharing one millisecond."""
    out: list[int] = []
    moment = SEEDED_UNTIL - 30 * 86_400_000
    while len(out) < count:
        moment += rng.randint(1, 30 * 86_400_000 // max(count, 1) * 2)
        out.extend([min(moment, SEEDED_UNTIL)] * rng.randint(1, 6))
    return out[:count]


def seed(store: Store, *, companies: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    contacts_per = [rng.randint(1, 4) for _ in range(companies)]
    company_ids = store.next_ids(companies)
    contact_ids = store.next_ids(sum(contacts_per))
    deal_ids = store.next_ids(companies)
    stamps = iter(_stamps(rng, companies * 2 + sum(contacts_per)))
    counts = {"companies": 0, "contacts": 0, "deals": 0, "unsubscribed": 0}
    contacts = iter(contact_ids)
    with store.transaction() as db:
        for n, (cid, per) in enumerate(zip(company_ids, contacts_per, strict=True)):
            country, city = rng.choice(COUNTRIES)
            name = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {n + 1}"
            domain = name.lower().replace(" ", "-") + ".example.com"
            stamp = next(stamps)
            props = {
                "name": name,
                "domain": domain,
                "industry": rng.choice(INDUSTRIES),
                "city": city,
                "country": country,
                "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                "numberofemployees": str(rng.choice((12, 40, 85, 230, 1200))),
                "annualrevenue": str(rng.randint(5, 900) * 100_000),
                "lifecyclestage": "customer",
            }
            store.put(db, _row(OBJECTS["companies"].name, cid, props, stamp), stamp=stamp)
            counts["companies"] += 1
            for _ in range(per):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                contact_id = next(contacts)
                optout = rng.random() < 1 / 7
                stamp = next(stamps)
                props = {
                    "firstname": first,
                    "lastname": last,
                    "email": f"{_ascii(first)}.{_ascii(last)}.{contact_id % 100000}@{domain}",
                    "jobtitle": rng.choice(TITLES),
                    "company": name,
                    "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                    "city": city,
                    "country": country,
                    "lifecyclestage": rng.choice(("lead", "marketingqualifiedlead", "customer")),
                    "hs_lead_status": rng.choice(LEAD_STATUS),
                    "hs_email_optout": str(optout).lower(),
                    "associatedcompanyid": str(cid),
                }
                store.put(db, _row("contacts", contact_id, props, stamp), stamp=stamp)
                store.associate(db, ("contacts", contact_id, "companies", cid, CONTACT_TO_COMPANY_PRIMARY))
                counts["contacts"] += 1
                counts["unsubscribed"] += optout
            stamp = next(stamps)
            props = {
                "dealname": f"{name} — renewal",
                "amount": str(rng.randint(2, 80) * 500),
                "dealstage": rng.choice(DEAL_STAGES),
                "pipeline": "default",
                "closedate": iso(stamp + rng.randint(5, 90) * 86_400_000),
            }
            store.put(db, _row("deals", deal_ids[n], props, stamp), stamp=stamp)
            counts["deals"] += 1
    store.catch_up(0)
    return counts


def _row(type_: str, row_id: int, props: dict[str, str], stamp: int) -> Row:
    modified = OBJECTS[type_].modified
    full: dict[str, str | None] = {
        **props,
        "hs_object_id": str(row_id),
        "createdate": iso(stamp),
        modified: iso(stamp),
    }
    return Row(type_, row_id, full, stamp, stamp, False, None)


def _ascii(text: str) -> str:
    return text.lower().translate(str.maketrans("éèíóáñ", "eeioan"))

"""Deterministic demo data: accounts with contacts, realistic and deliberately untidy.

An analyst trying a mapping needs data that looks like a real CRM: non-ASCII
names, duplicate account names, contacts without e-mail, national phone formats,
several countries, picklist values taken from the describe. Rows are built in
Python and bulk-inserted straight into SQLite (no per-record API path), so
10,000 accounts take well under the few seconds the benchmarks allow.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from connectors.salesforce.sandbox.seed_pipeline import seed_pipeline
from connectors.salesforce.sandbox.store import DEMO_USER_ID, Store, format_datetime

_COUNTRIES: list[dict[str, Any]] = [
    {
        "country": "United States",
        "cities": [("New York", "NY", "10001"), ("Austin", "TX", "73301"), ("San Francisco", "CA", "94105")],
        "phone": lambda r: f"({r.randint(201, 989)}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
        "tld": "com",
        "suffix": ["Inc.", "LLC", "Corp."],
    },
    {
        "country": "Germany",
        "cities": [("München", "BY", "80331"), ("Köln", "NW", "50667"), ("Düsseldorf", "NW", "40213")],
        "phone": lambda r: f"0{r.randint(30, 89)} {r.randint(1000000, 9999999)}",
        "tld": "de",
        "suffix": ["GmbH", "AG", "KG"],
    },
    {
        "country": "France",
        "cities": [("Paris", None, "75008"), ("Lyon", None, "69002"), ("Besançon", None, "25000")],
        "phone": lambda r: "0" + str(r.randint(1, 5)) + "".join(f" {r.randint(0, 99):02d}" for _ in range(4)),
        "tld": "fr",
        "suffix": ["SA", "SARL", "SAS"],
    },
    {
        "country": "United Kingdom",
        "cities": [("London", None, "EC1A 1BB"), ("Manchester", None, "M1 1AE")],
        "phone": lambda r: f"020 {r.randint(7000, 8999)} {r.randint(1000, 9999)}",
        "tld": "co.uk",
        "suffix": ["Ltd", "plc"],
    },
    {
        "country": "Japan",
        "cities": [("東京", "東京都", "100-0001"), ("大阪", "大阪府", "530-0001")],
        "phone": lambda r: f"03-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
        "tld": "jp",
        "suffix": ["株式会社", "K.K."],
    },
    {
        "country": "Brazil",
        "cities": [("São Paulo", "SP", "01310-100"), ("Rio de Janeiro", "RJ", "20040-002")],
        "phone": lambda r: f"(11) {r.randint(90000, 99999)}-{r.randint(1000, 9999)}",
        "tld": "com.br",
        "suffix": ["Ltda.", "S.A."],
    },
    {
        "country": "Spain",
        "cities": [("Madrid", "M", "28013"), ("A Coruña", "C", "15001")],
        "phone": lambda r: f"9{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}",
        "tld": "es",
        "suffix": ["S.L.", "S.A."],
    },
    {
        "country": "Poland",
        "cities": [("Łódź", None, "90-001"), ("Kraków", None, "30-001"), ("Gdańsk", None, "80-001")],
        "phone": lambda r: (
            f"{r.randint(12, 99)} {r.randint(100, 999)} {r.randint(10, 99)} {r.randint(10, 99)}"
        ),
        "tld": "pl",
        "suffix": ["Sp. z o.o.", "S.A."],
    },
]
_STEMS = [
    "Müller",
    "Société Générale des Eaux",
    "Łódź Textiles",
    "東京精機",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Nordlicht",
    "Bäckerei Schäfer",
    "Crème & Co",
    "Zürich Partners",
    "Øresund Shipping",
    "Blue Harbor",
    "Fjällräven Outfitters",
    "Señora Foods",
    "Vertex",
    "Pinnacle",
    "Sakura Trading",
    "Copacabana Imports",
    "Kowalski i Synowie",
    "Atlas",
    "Helios",
    "Riverbend",
    "Quantum Leap",
]
_FIRST = [
    "Anna",
    "José",
    "François",
    "Zoë",
    "Łukasz",
    "Søren",
    "Hiroshi",
    "Yuki",
    "Mary",
    "John",
    "Renée",
    "Jürgen",
    "Ana",
    "Piotr",
    "Chloé",
    "Björn",
    "Emma",
    "Liam",
    "Inés",
    "Noah",
]
_LAST = [
    "Müller",
    "García",
    "Dubois",
    "Smith",
    "Kowalski",
    "Nakamura",
    "Silva",
    "Schröder",
    "O'Brien",
    "Nowak",
    "Martínez",
    "Leroy",
    "Brown",
    "Sato",
    "Wiśniewska",
    "Fernández",
    "Jones",
    "Lefèvre",
]
_TITLES = [
    "CEO",
    "CFO",
    "Head of Procurement",
    "Accounts Payable",
    "Sales Manager",
    "Directeur financier",
    "Geschäftsführer",
    None,
]


@lru_cache(maxsize=1024)
def _ascii(text: str) -> str:
    """An e-mail/host-safe ASCII form of a name (accents dropped)."""
    text = text.lower().replace("ß", "ss").replace("ł", "l").replace("ø", "o").replace("æ", "ae")
    flat = unicodedata.normalize("NFKD", text)
    out = "".join(ch for ch in flat if ch.isascii() and (ch.isalnum() or ch == "."))
    return out or "contact"


def _picklist(store: Store, obj: str, field: str) -> list[str]:
    f = store.catalog.objects[obj].fields[field]
    return list(f.picklist_values)


def _base_row(store: Store, obj: str, when: str) -> dict[str, Any]:
    spec = store.catalog.objects[obj]
    row: dict[str, Any] = {f.name: 0 for f in spec.fields.values() if f.type == "boolean" and f.stored}
    row.update(
        OwnerId=DEMO_USER_ID,
        CreatedById=DEMO_USER_ID,
        LastModifiedById=DEMO_USER_ID,
        CreatedDate=when,
        LastModifiedDate=when,
        SystemModstamp=when,
    )
    return row


_WINDOW = timedelta(days=20)  # seeded change stamps lie in the last 20 days


def seed(store: Store, accounts: int = 300, seed: int = 7, contacts: bool = True) -> dict[str, int]:
    """Add `accounts` accounts (and 0..5 contacts each unless contacts=False); returns counts."""
    rnd = random.Random(seed)
    industries = _picklist(store, "Account", "Industry")
    types = _picklist(store, "Account", "Type")
    ratings = _picklist(store, "Account", "Rating")
    salutations = _picklist(store, "Contact", "Salutation")
    lead_sources = _picklist(store, "Contact", "LeadSource")
    acc_spec, con_spec = store.catalog.objects["Account"], store.catalog.objects["Contact"]
    base = datetime.now(UTC) - _WINDOW
    # 7 s apart as before; tighter above ~247k Accounts, so the last stamp stays an hour in the past
    # (a stamp in the future hid an Account edited "now" from the next incremental run)
    step = min(7.0, ((_WINDOW - timedelta(hours=1)).total_seconds() - 6) / max(accounts, 1))
    acc_rows: list[dict[str, Any]] = []
    con_rows: list[dict[str, Any]] = []
    with store.transaction():
        acc_ids = store.next_ids(acc_spec, accounts)
        for i, acc_id in enumerate(acc_ids):
            c = _COUNTRIES[rnd.randrange(len(_COUNTRIES))]
            city, state, postal = rnd.choice(c["cities"])
            stem = rnd.choice(_STEMS)
            name = stem if rnd.random() < 0.15 else f"{stem} {rnd.choice(c['suffix'])}"
            when = format_datetime(
                base + timedelta(seconds=i * step + rnd.randint(0, 5), milliseconds=rnd.randint(0, 999))
            )
            row = _base_row(store, "Account", when)
            row.update(
                Id=acc_id,
                Name=name,
                BillingCity=city,
                BillingState=state,
                BillingPostalCode=postal,
                BillingCountry=c["country"],
                BillingStreet=f"{rnd.randint(1, 250)} {rnd.choice(['Main', 'Haupt', 'Rue'])} "
                f"{rnd.choice(['Street', 'straße', 'de la Paix'])}",
                Phone=c["phone"](rnd),
                Website=f"https://www.{_ascii(stem.split()[0])}.{c['tld']}",
                Industry=rnd.choice([*industries, None]),
                Type=rnd.choice(types),
                Rating=rnd.choice([*ratings, None]),
                AnnualRevenue=float(rnd.randint(1, 5000) * 10000) if rnd.random() < 0.8 else None,
                NumberOfEmployees=rnd.randint(1, 20000),
                AccountNumber=f"ACC-{seed:03d}-{i + 1:06d}",
            )
            acc_rows.append(row)
            if not contacts:
                continue
            for _ in range(rnd.randint(0, 5)):
                first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
                con = _base_row(store, "Contact", when)
                con.update(
                    AccountId=acc_id,
                    FirstName=first,
                    LastName=last,
                    Name=f"{first} {last}",
                    Salutation=rnd.choice([*salutations, None]),
                    Title=rnd.choice(_TITLES),
                    Email=None
                    if rnd.random() < 0.2
                    else f"{_ascii(first)}.{_ascii(last)}{rnd.randint(1, 99)}@"
                    f"{_ascii(stem.split()[0])}.{c['tld']}",
                    Phone=c["phone"](rnd) if rnd.random() < 0.8 else None,
                    MailingCity=city,
                    MailingCountry=c["country"],
                    MailingPostalCode=postal,
                    LeadSource=rnd.choice([*lead_sources, None]),
                )
                con_rows.append(con)
        for con, con_id in zip(con_rows, store.next_ids(con_spec, len(con_rows)), strict=True):
            con["Id"] = con_id
        store.insert_rows(acc_spec, acc_rows)
        store.insert_rows(con_spec, con_rows)
        counts = {"Account": len(acc_rows), "Contact": len(con_rows)}
        if contacts:  # its own random stream: Accounts and Contacts stay what they were
            counts.update(seed_pipeline(store, random.Random(seed + 1), acc_rows, con_rows))
    return counts

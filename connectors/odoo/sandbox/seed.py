"""Reference data and deterministic demo data for the Odoo sandbox.

Reference data (countries, states, industries, the admin user, ir.model rows,
the base company) is what a fresh Odoo database already holds; `load_base`
puts it in. `seed_demo` builds a realistic back office: companies with their
contacts, non-ASCII names, some archived, write dates spread over a period
with ties. It inserts straight into SQLite (10,000 companies in about a
second); the stored computes are filled the way Odoo would fill them.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.odoo.sandbox.catalog import registry
from connectors.odoo.sandbox.store import Store

DATA = json.loads((Path(__file__).with_name("data") / "reference.json").read_text(encoding="utf-8"))
BASE_TIME = "2024-01-01 08:00:00"
COMPANY_WORDS = [
    "Müller",
    "Société Générale d'Import",
    "Łódź Logistics",
    "Ørsted Vind",
    "Ñandú Alimentos",
    "Çelik Makina",
    "Šebek Stavby",
    "Nakamura Seiki",
    "Gärtner",
    "Björk & Söner",
    "Café Olé",
    "Nordwind",
    "Atlas",
    "Meridian",
    "Pinewood",
    "Helios",
    "Azur",
    "Kestrel",
    "Blue Harbor",
    "Żółw Software",
    "Fjällräven Trading",
    "São Bento Têxtil",
    "Dvořák Audio",
    "Ålesund Fisk",
]
COMPANY_SUFFIX = {
    "DE": "GmbH",
    "FR": "SAS",
    "GB": "Ltd",
    "US": "Inc.",
    "ES": "S.L.",
    "PL": "Sp. z o.o.",
    "IT": "S.r.l.",
    "NL": "B.V.",
    "BR": "Ltda.",
    "JP": "K.K.",
    "SE": "AB",
    "CH": "AG",
}
FIRST = [
    "Anna",
    "Jürgen",
    "Zoë",
    "François",
    "Łukasz",
    "Søren",
    "Inés",
    "José",
    "Ayşe",
    "Hiroshi",
    "Émilie",
    "Björn",
    "Chloé",
    "Miloš",
    "Renée",
    "Noël",
    "Grace",
    "Liam",
    "Priya",
    "Wei",
    "Olga",
    "Tomás",
]
LAST = [
    "Schröder",
    "Dubois",
    "Kowalski",
    "Jørgensen",
    "García",
    "Yılmaz",  # noqa: RUF001 - a Turkish surname, dotless i intended
    "Tanaka",
    "Lefèvre",
    "Novák",
    "Öberg",
    "Smith",
    "O'Brien",
    "Núñez",
    "Weiß",
    "Kim",
    "Rossi",
    "Andersson",
    "Müller",
    "Żak",
]
CITIES = {
    "DE": "München",
    "FR": "Besançon",
    "GB": "London",
    "US": "San José",
    "ES": "Málaga",
    "PL": "Kraków",
    "IT": "Torino",
    "NL": "Den Haag",
    "BR": "São Paulo",
    "JP": "Tōkyō",
    "SE": "Göteborg",
    "CH": "Zürich",
    "CA": "Montréal",
    "AU": "Sydney",
    "IN": "Bengaluru",
    "CN": "Shanghai",
    "MX": "Querétaro",
    "BE": "Liège",
}
STREETS = ["Hauptstraße", "Rue de la Paix", "High Street", "Calle Mayor", "ul. Długa"]
CURRENCIES = [
    {
        "id": 1,
        "name": "USD",
        "full_name": "United States dollar",
        "symbol": "$",
        "position": "before",
        "rounding": 0.01,
    },
    {"id": 2, "name": "EUR", "full_name": "Euro", "symbol": "€", "position": "after", "rounding": 0.01},
]
JOURNALS = [  # ids as invoicing.py expects: sale, purchase, miscellaneous
    {"id": 1, "name": "Customer Invoices", "code": "INV", "type": "sale"},
    {"id": 2, "name": "Vendor Bills", "code": "BILL", "type": "purchase"},
    {"id": 3, "name": "Miscellaneous Operations", "code": "MISC", "type": "general"},
]
STAGES = [  # crm/data/crm_stage_data.xml
    {"id": 1, "name": "New", "sequence": 1, "is_won": 0, "fold": 0},
    {"id": 2, "name": "Qualified", "sequence": 2, "is_won": 0, "fold": 0},
    {"id": 3, "name": "Proposition", "sequence": 3, "is_won": 0, "fold": 0},
    {"id": 4, "name": "Won", "sequence": 70, "is_won": 1, "fold": 0},
]
FIXED_XMLIDS = [
    ("base", "main_partner", "res.partner", 1),
    ("base", "partner_root", "res.partner", 2),
    ("base", "partner_admin", "res.partner", 3),
    ("base", "user_root", "res.users", 1),
    ("base", "user_admin", "res.users", 2),
    *[("crm", f"stage_lead{st['id']}", "crm.stage", int(str(st["id"]))) for st in STAGES],
]
FUNCTIONS = ["CEO", "Buyer", "Accountant", "Sales Manager", "CFO", "Office Manager", "Head of IT", False]


def _ascii(text: str) -> str:
    import unicodedata  # noqa: PLC0415 - only needed while seeding

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".") or "x"


def _insert(store: Store, model: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    spec = registry()[model]
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{spec.table}" ({names}) VALUES ({",".join("?" * len(cols))})'
    store.conn.executemany(sql, [[r.get(c) for c in cols] for r in rows])


def _stamp(row: dict[str, Any], when: str = BASE_TIME) -> dict[str, Any]:
    return {**row, "create_uid": 1, "write_uid": 1, "create_date": when, "write_date": when}


def load_base(store: Store) -> None:
    """Reference data every fresh Odoo database has (idempotent: run on an empty store)."""
    with store.transaction():
        if store.conn.execute("SELECT COUNT(*) FROM res_country").fetchone()[0]:
            return
        countries = [
            _stamp(
                {
                    "id": i,
                    "code": c["code"],
                    "name": c["name"],
                    "phone_code": c["phone_code"],
                    "name_position": "before",
                }
            )
            for i, c in enumerate(DATA["countries"], start=1)
        ]
        _insert(store, "res.country", countries)
        by_code = {c["code"]: c["id"] for c in countries}
        states = [
            _stamp({"country_id": by_code[cc], "code": code, "name": name})
            for cc, items in DATA["states"].items()
            for code, name in items
        ]
        _insert(store, "res.country.state", states)
        _insert(
            store,
            "res.partner.industry",
            [
                _stamp({"id": i, "name": n, "full_name": f, "active": 1})
                for i, (n, f) in enumerate(DATA["industries"], start=1)
            ],
        )
        _insert(
            store,
            "ir.model",
            [
                _stamp({"id": i, "model": s.name, "name": s.description, "state": "base", "transient": 0})
                for i, s in enumerate(registry().values(), start=1)
            ],
        )
        _insert(store, "res.currency", [_stamp({**c, "active": 1}) for c in CURRENCIES])
        _insert(store, "account.journal", [_stamp({**j, "active": 1, "company_id": 1}) for j in JOURNALS])
        _insert(store, "crm.stage", [_stamp(dict(st)) for st in STAGES])
    reset_base(store)


def _shipped_xmlids(store: Store) -> list[dict[str, Any]]:
    """External ids of the data Odoo ships: `base.us` (every country), `base.USD`, `crm.stage_lead4`, ..."""
    rows = [
        {"module": "base", "name": code.lower(), "model": "res.country", "res_id": cid}
        for cid, code in store.conn.execute("SELECT id, code FROM res_country")
    ]
    rows += [
        {
            "module": "base",
            "name": f"res_partner_industry_{full[0]}",
            "model": "res.partner.industry",
            "res_id": iid,
        }
        for iid, full in store.conn.execute("SELECT id, full_name FROM res_partner_industry")
    ]
    rows += [
        {"module": "base", "name": c["name"], "model": "res.currency", "res_id": c["id"]} for c in CURRENCIES
    ]
    rows += [{"module": m, "name": n, "model": model, "res_id": rid} for m, n, model, rid in FIXED_XMLIDS]
    return [_stamp({**r, "noupdate": 1}) for r in rows]


def reset_base(store: Store) -> None:
    """The base company, OdooBot and the admin user with their partners; the shipped external ids."""
    with store.transaction():
        for row in _shipped_xmlids(store):
            names, marks = ", ".join(row), ", ".join("?" * len(row))
            sql = f"INSERT OR IGNORE INTO ir_model_data ({names}) VALUES ({marks})"
            store.conn.execute(sql, list(row.values()))
        if store.conn.execute("SELECT COUNT(*) FROM res_partner WHERE id IN (1, 2, 3)").fetchone()[0]:
            return
        be = store.conn.execute("SELECT id FROM res_country WHERE code = 'BE'").fetchone()[0]
        _insert(
            store,
            "res.partner",
            [
                _stamp(
                    {
                        "id": 1,
                        "name": "YourCompany",
                        "complete_name": "YourCompany",
                        "is_company": 1,
                        "active": 1,
                        "type": "contact",
                        "commercial_partner_id": 1,
                        "country_id": be,
                        "city": "Bruxelles",
                        "email": "info@yourcompany.example.com",
                        "lang": "en_US",
                        "company_id": 1,
                        "customer_rank": 0,
                        "supplier_rank": 0,
                    }
                ),
                _stamp(
                    {
                        "id": 2,
                        "name": "OdooBot",
                        "complete_name": "OdooBot",
                        "is_company": 0,
                        "active": 0,
                        "type": "contact",
                        "commercial_partner_id": 2,
                        "email": "odoobot@example.com",
                        "lang": "en_US",
                        "customer_rank": 0,
                        "supplier_rank": 0,
                    }
                ),
                _stamp(
                    {
                        "id": 3,
                        "name": "Mitchell Admin",
                        "complete_name": "YourCompany, Mitchell Admin",
                        "is_company": 0,
                        "active": 1,
                        "type": "contact",
                        "parent_id": 1,
                        "commercial_partner_id": 1,
                        "commercial_company_name": "YourCompany",
                        "email": "admin@yourcompany.example.com",
                        "email_normalized": "admin@yourcompany.example.com",
                        "lang": "en_US",
                        "company_id": 1,
                        "customer_rank": 0,
                        "supplier_rank": 0,
                    }
                ),
            ],
        )
        if not store.conn.execute("SELECT COUNT(*) FROM res_users").fetchone()[0]:
            _insert(
                store,
                "res.users",
                [
                    _stamp(
                        {
                            "id": 1,
                            "login": "__system__",
                            "name": "OdooBot",
                            "partner_id": 2,
                            "active": 0,
                            "company_id": 1,
                            "share": 0,
                            "lang": "en_US",
                        }
                    ),
                    _stamp(
                        {
                            "id": 2,
                            "login": "admin",
                            "name": "Mitchell Admin",
                            "partner_id": 3,
                            "active": 1,
                            "company_id": 1,
                            "share": 0,
                            "lang": "en_US",
                            "tz": "Europe/Brussels",
                        }
                    ),
                ],
            )


def seed_demo(store: Store, accounts: int = 300, seed: int = 7) -> dict[str, int]:
    """Replace business data by `accounts` companies with their contacts (deterministic)."""
    rng = random.Random(seed)
    store.drop_data(keep_reference=True)
    reset_base(store)
    countries = {code: cid for cid, code in store.conn.execute("SELECT id, code FROM res_country")}
    states: dict[int, list[int]] = {}
    for sid, cid in store.conn.execute("SELECT id, country_id FROM res_country_state"):
        states.setdefault(cid, []).append(sid)
    industries = [r[0] for r in store.conn.execute("SELECT id FROM res_partner_industry")]
    weighted = list(CITIES)
    clock = datetime.fromisoformat(BASE_TIME)
    rows: list[dict[str, Any]] = []
    next_id = 100
    n_contacts = n_archived = 0
    for n in range(accounts):
        clock += timedelta(seconds=rng.choice((0, 0, 1, 7, 30, 61, 300)))
        when = clock.strftime("%Y-%m-%d %H:%M:%S")
        code = rng.choice(weighted)
        cid = countries[code]
        name = f"{rng.choice(COMPANY_WORDS)} {COMPANY_SUFFIX.get(code, 'Ltd')}"
        if n >= len(COMPANY_WORDS):
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST)} {COMPANY_SUFFIX.get(code, 'Ltd')}"
        domain = _ascii(name.split(" ")[0]) + f"{n}.example.com"
        active = 0 if rng.random() < 0.05 else 1
        n_archived += not active
        company = _stamp(
            {
                "id": next_id,
                "name": name,
                "complete_name": name,
                "is_company": 1,
                "active": active,
                "type": "contact",
                "commercial_partner_id": next_id,
                "ref": f"C{n + 1:05d}",
                "email": f"info@{domain}",
                "email_normalized": f"info@{domain}",
                "phone": f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "mobile": None,
                "street": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                "street2": None,
                "city": CITIES[code],
                "zip": f"{rng.randint(10000, 99999)}",
                "state_id": rng.choice(states[cid]) if cid in states else None,
                "country_id": cid,
                "website": f"https://www.{domain}",
                "vat": f"{code}{rng.randint(100000000, 999999999)}",
                "function": None,
                "comment": None,
                "lang": "en_US",
                "credit_limit": float(rng.choice((0, 5000, 20000))),
                "trust": rng.choice(("good", "normal", "normal", "bad")),
                "customer_rank": rng.randint(0, 5),
                "supplier_rank": rng.choice((0, 0, 1)),
                "industry_id": rng.choice(industries),
                "company_id": 1,
                "commercial_company_name": name,
                "parent_id": None,
            },
            when,
        )
        rows.append(company)
        parent_id = next_id
        next_id += 1
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            person = f"{first} {last}"
            email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
            rows.append(
                _stamp(
                    {
                        **company,
                        "id": next_id,
                        "name": person,
                        "complete_name": f"{name}, {person}",
                        "is_company": 0,
                        "active": active if rng.random() > 0.05 else 0,
                        "commercial_partner_id": parent_id,
                        "ref": None,
                        "email": email,
                        "email_normalized": email,
                        "parent_id": parent_id,
                        "mobile": f"+{rng.randint(1, 99)} 7{rng.randint(10000000, 99999999)}",
                        "website": None,
                        "function": rng.choice(FUNCTIONS) or None,
                        "customer_rank": 0,
                        "supplier_rank": 0,
                    },
                    when,
                )
            )
            next_id += 1
            n_contacts += 1
    with store.transaction():
        _insert(store, "res.partner", rows)
    back_office = seed_back_office(store, [r["id"] for r in rows if r["is_company"] and r["active"]], rng)
    return {
        **back_office,
        "res.partner": len(rows),
        "companies": accounts,
        "contacts": n_contacts,
        "archived_companies": n_archived,
        "res.country": len(countries),
    }


# The demo team: the Salesforce sandbox seeds Users with the same e-mail addresses
# (connectors/salesforce/sandbox/seed_pipeline.py), as one company's people would have.
EMPLOYEES = [
    ("Grace Hopper", "VP Sales", None),
    ("Ada Lovelace", "Account Executive", 0),
    ("Alan Turing", "Senior Account Executive", 0),
    ("Katherine Johnson", "Sales Engineer", 0),
    ("Hedy Lamarr", "Head of Support", None),
    ("Edsger Dijkstra", "Support Agent", 4),
    ("Barbara Liskov", "Accountant", None),  # no Salesforce user: not everyone has a seat
]
PEOPLE_DOMAIN = "officebridge.example.com"
CRM_TAGS = ["Web", "Partner Referral", "Phone Inquiry", "New Customer", "Existing Customer - Upgrade"]


def seed_back_office(store: Store, companies: list[int], rng: random.Random) -> dict[str, int]:
    """Employees, and customer invoices (posted, some paid, some draft) through the emulated ORM."""
    from connectors.odoo.sandbox import invoicing, writing  # noqa: PLC0415 - they import this module's users
    from connectors.odoo.sandbox.env import Env  # noqa: PLC0415

    spec = registry()
    with store.transaction() as conn:
        env = Env(conn, 2, now=BASE_TIME)
        for tag in CRM_TAGS:
            writing.create(env, spec["crm.tag"], {"name": tag})
        ids: list[int] = []
        for name, job, manager in EMPLOYEES:
            email = f"{name.lower().replace(' ', '.')}@{PEOPLE_DOMAIN}"
            vals = {"name": name, "job_title": job, "work_email": email,
                    "parent_id": ids[manager] if manager is not None else False}  # fmt: skip
            new_id = writing.create(env, spec["hr.employee"], vals)
            assert isinstance(new_id, int)
            ids.append(new_id)
        invoices = 0
        for n, partner in enumerate(companies[: max(1, len(companies) // 3)]):
            day = f"2024-{1 + n % 12:02d}-{1 + n % 27:02d}"
            item = rng.choice(("Licence", "Support", "Training"))
            line = {
                "name": item,
                "quantity": rng.randint(1, 5),
                "price_unit": float(rng.randint(10, 200) * 10),
            }
            lines = [(0, 0, line)]
            vals = {
                "move_type": "out_invoice",
                "partner_id": partner,
                "invoice_date": day,
                "invoice_line_ids": lines,
            }
            move = writing.create(env, spec["account.move"], vals)
            assert isinstance(move, int)
            invoices += 1
            if n % 5 == 4:
                continue  # a draft
            invoicing.action_post(env, spec["account.move"], [move])
            if n % 3 == 1:
                total = conn.execute("SELECT amount_total FROM account_move WHERE id = ?", [move]).fetchone()[
                    0
                ]
                invoicing.register_payment(env, move, float(total) if n % 2 else round(float(total) / 2, 2))
    return {"crm.tag": len(CRM_TAGS), "hr.employee": len(ids), "account.move": invoices}

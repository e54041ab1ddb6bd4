"""Deterministic demo data: organizations, their end users, and the tickets those users raised.

Changes are spread over the last 90 days of the sandbox clock and saved in
time order, so the change sequence and `generated_timestamp` agree, as they do
in a real account. About one ticket in twenty is soft-deleted and one user in
forty is deleted (inactive), so exports show both.
"""

from __future__ import annotations

import random
from typing import Any

from connectors.zendesk.sandbox import objects
from connectors.zendesk.sandbox.store import Store

FIRST = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Pied Piper",
    "Nakatomi",
    "Monarch",
)
SECOND = (
    "Logistics",
    "Foods",
    "Analytics",
    "Robotics",
    "Textiles",
    "Energy",
    "Health",
    "Media",
    "Labs",
    "Motors",
    "Pharma",
    "Capital",
    "Systems",
    "Outdoor",
)
SUFFIX = ("GmbH", "Ltd", "Inc.", "SA", "BV", "AG", "LLC")
GIVEN = (
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Keiko",
    "Luca",
    "Maria",
    "Nils",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
)
FAMILY = (
    "Schmidt",
    "Dubois",
    "Rossi",
    "Novak",
    "Jensen",
    "Garcia",
    "Okafor",
    "Tanaka",
    "Müller",
    "Silva",
    "Kowalski",
    "Andersen",
    "Costa",
    "Weber",
    "Nguyen",
)
SUBJECTS = (
    "Cannot log in to the portal",
    "Invoice shows the wrong VAT rate",
    "Delivery arrived damaged",
    "Request for a bulk discount",
    "Password reset email never arrives",
    "API returns 500 on export",
    "Change of billing address",
    "Feature request: CSV export",
    "Order stuck in processing",
    "Refund not received",
)
STATUSES = ("new", "open", "open", "pending", "hold", "solved", "solved", "closed")
PRIORITIES = ("low", "normal", "normal", "high", "urgent")
DAY = 86400


def seed(store: Store, host: str, agent_id: int, *, accounts: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    now = store.now() - 2 * 3600  # everything well past the export lag
    events: list[tuple[float, str, dict[str, Any]]] = []
    names: set[str] = set()
    counts = {"organizations": 0, "users": 0, "tickets": 0}
    for n in range(accounts):
        name = f"{rng.choice(FIRST)} {rng.choice(SECOND)} {rng.choice(SUFFIX)}"
        if name in names:
            name = f"{name} {n + 1}"
        names.add(name)
        at = now - rng.uniform(30, 90) * DAY
        org_id = store.new_id("organizations")
        slug = name.split()[0].lower().replace(" ", "") + f"{n + 1}"
        org = {**objects.DEFAULTS["organizations"], "id": org_id, "name": name,
               "external_id": f"ZD-ORG-{n + 1:04d}", "domain_names": [f"{slug}.example.com"],
               "tags": [rng.choice(("enterprise", "smb", "partner"))],
               "url": objects.url(host, "organizations", org_id)}  # fmt: skip
        events.append((at, "organizations", org))
        for u in range(rng.randint(1, 4)):
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            user_id = store.new_id("users")
            user = {**objects.DEFAULTS["users"], "id": user_id, "name": f"{given} {family}",
                    "email": f"{given.lower()}.{family.lower()}.{n + 1}.{u + 1}@{slug}.example.com",
                    "organization_id": org_id, "external_id": None,
                    "phone": f"+4930{rng.randint(1000000, 9999999)}",
                    "active": rng.random() > 0.025, "url": objects.url(host, "users", user_id)}  # fmt: skip
            user_at = at + rng.uniform(0, 10) * DAY
            events.append((user_at, "users", user))
            for _ in range(rng.randint(0, 3)):
                ticket_id = store.new_id("tickets")
                subject = rng.choice(SUBJECTS)
                status = "deleted" if rng.random() < 0.05 else rng.choice(STATUSES)
                ticket = {**objects.DEFAULTS["tickets"], "id": ticket_id, "subject": subject,
                          "description": f"{subject}. Reported by {given} {family}.", "status": status,
                          "priority": rng.choice(PRIORITIES),
                          "type": rng.choice(("question", "incident", "problem", "task")),
                          "requester_id": user_id, "submitter_id": user_id, "assignee_id": agent_id,
                          "organization_id": org_id, "tags": [],
                          "url": objects.url(host, "tickets", ticket_id)}  # fmt: skip
                events.append((user_at + rng.uniform(0, 20) * DAY, "tickets", ticket))
    events.sort(key=lambda e: e[0])
    with store.transaction():
        for at, kind, record in events:
            store.save(kind, record, at=at)
            counts[kind] += 1
    return counts

"""What each Zendesk object accepts and how it looks: defaults, read-only fields, validation.

The sandbox keeps the built-in fields a sync touches (custom fields are out of
scope). A write merges the given fields into the stored record, refuses what
Zendesk refuses (blank name, malformed or taken email, unknown status), and
ignores read-only fields, as Zendesk does.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.zendesk.sandbox.errors import Invalid
from connectors.zendesk.sandbox.store import Store

SINGULAR = {"organizations": "organization", "users": "user", "tickets": "ticket"}
READ_ONLY = {"id", "url", "created_at", "updated_at", "generated_timestamp"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TICKET_STATUS = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITY = (None, "urgent", "high", "normal", "low")
TYPES = (None, "problem", "incident", "question", "task")
ROLES = ("end-user", "agent", "admin")

DEFAULTS: dict[str, dict[str, Any]] = {
    "organizations": {"name": None, "external_id": None, "domain_names": [], "details": None, "notes": None,
                      "group_id": None, "shared_tickets": False, "shared_comments": False, "tags": [],
                      "organization_fields": {}},
    "users": {"name": None, "email": None, "external_id": None, "role": "end-user", "organization_id": None,
              "phone": None, "time_zone": "UTC", "locale": "en-US", "active": True, "suspended": False,
              "verified": False, "notes": None, "details": None, "tags": [], "user_fields": {}},
    "tickets": {"external_id": None, "subject": None, "description": None, "status": "new", "priority": None,
                "type": None, "requester_id": None, "submitter_id": None, "assignee_id": None,
                "organization_id": None, "group_id": None, "tags": [], "custom_fields": []},
}  # fmt: skip


def soft_deleted(kind: str, record: dict[str, Any]) -> bool:
    """Deleted but still readable: a ticket with status "deleted", a user with active false."""
    if kind == "tickets":
        return record.get("status") == "deleted"
    return kind == "users" and record.get("active") is False


def url(host: str, kind: str, record_id: int) -> str:
    return f"https://{host}/api/v2/{kind}/{record_id}.json"


def _choice(value: Any, allowed: tuple[Any, ...], field: str) -> None:
    if value not in allowed:
        raise Invalid(field, f"{field.capitalize()}: {value!r} is not valid")


def validate(store: Store, kind: str, record: dict[str, Any]) -> None:
    """Raise `Invalid` for the first field Zendesk would refuse."""
    if kind in ("organizations", "users") and not str(record.get("name") or "").strip():
        raise Invalid("name", "Name: cannot be blank", "BlankValue")
    if kind == "organizations":
        other = store.find(kind, "name", str(record["name"]))
        if other is not None and other["id"] != record["id"]:
            raise Invalid("name", "Name: has already been taken", "DuplicateValue")
    if kind == "users":
        _validate_user(store, record)
    if kind == "tickets":
        _validate_ticket(store, record)
    external = record.get("external_id")
    if external is not None and kind != "tickets":
        other = store.find(kind, "external_id", str(external))
        if other is not None and other["id"] != record["id"]:
            raise Invalid("external_id", "External: has already been taken", "DuplicateValue")
    if kind in ("users", "tickets") and record.get("organization_id"):
        if store.get("organizations", int(record["organization_id"])) is None:
            raise Invalid("organization_id", "Organization: not found")


def _validate_user(store: Store, record: dict[str, Any]) -> None:
    email = record.get("email")
    if email:
        if not EMAIL.match(str(email)):
            raise Invalid("email", f"Email: {email} is not properly formatted")
        other = store.find("users", "email", str(email))
        if other is not None and other["id"] != record["id"]:
            raise Invalid("email", f"Email: {email} is already being used by another user", "DuplicateValue")
    _choice(record.get("role"), ROLES, "role")


def _validate_ticket(store: Store, record: dict[str, Any]) -> None:
    if not record.get("requester_id"):
        raise Invalid("requester", "Requester: cannot be blank", "BlankValue")
    if store.get("users", int(record["requester_id"])) is None:
        raise Invalid("requester", "Requester: not found", "InvalidValue")
    if not str(record.get("description") or "").strip():
        raise Invalid("description", "Description: cannot be blank", "BlankValue")
    _choice(record.get("status"), (*TICKET_STATUS, "deleted"), "status")
    _choice(record.get("priority"), PRIORITY, "priority")
    _choice(record.get("type"), TYPES, "type")


def merged(kind: str, current: dict[str, Any] | None, given: dict[str, Any]) -> dict[str, Any]:
    """The record after `given`: read-only fields ignored, a new ticket's `comment` as description."""
    record = dict(current) if current is not None else dict(DEFAULTS[kind])
    for key, value in given.items():
        if key in READ_ONLY or key not in DEFAULTS[kind]:
            if kind == "tickets" and key == "comment" and current is None:
                body = value.get("body") if isinstance(value, dict) else value
                record["description"] = body
            continue
        record[key] = value
    if kind == "tickets" and current is None and record.get("description") is None:
        record["description"] = given.get("description")
    return record

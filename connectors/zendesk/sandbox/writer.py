"""Applying one record write (create, update, create-or-update, soft delete), shared by every route.

Single-record routes answer at once; the `*_many` routes queue the same
operations as a job (`jobs.py`). A `record_error` fault is asked when the write
is *received*, so a fault armed on `users.create_many` refuses the item even
though the job applies it later, as Zendesk's workers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.zendesk.sandbox import objects
from connectors.zendesk.sandbox.errors import Invalid
from connectors.zendesk.sandbox.store import Store
from officebridge.sandboxkit import FaultBook


@dataclass(frozen=True, slots=True)
class Outcome:
    record: dict[str, Any]
    created: bool


@dataclass(frozen=True, slots=True)
class Pending:
    """One item of a write as received: what to do, its data, and a refusal decided on receipt."""

    action: str  # create | update | create_or_update | delete
    data: dict[str, Any]
    refused: Invalid | None = None


class Writer:
    def __init__(self, store: Store, faults: FaultBook, host: str) -> None:
        self.store = store
        self.faults = faults
        self.host = host

    def receive(self, kind: str, action: str, data: dict[str, Any]) -> Pending:
        refusal = self.faults.refusal(kind, data) if action != "delete" else None
        if refusal is None:
            return Pending(action, data)
        message = refusal.message or f"{refusal.field}: {refusal.value} is not valid"
        return Pending(action, data, Invalid(refusal.field, message, refusal.code or "InvalidValue"))

    def apply(self, kind: str, item: Pending) -> Outcome:
        """Apply one received item; raises `Invalid` (refused) or `LookupError` (no such record)."""
        if item.refused is not None:
            raise item.refused
        with self.store.transaction():
            current = self._current(kind, item)
            if item.action == "delete":
                return Outcome(self._delete(kind, current), False)
            if item.action == "update" and current is None:
                raise LookupError(kind)
            if item.action == "create":
                current = None
            record = objects.merged(kind, current, item.data)
            if current is None:
                record["id"] = self.store.new_id(kind)
                record["url"] = objects.url(self.host, kind, record["id"])
            self._inherit(kind, record)
            objects.validate(self.store, kind, record)
            return Outcome(self.store.save(kind, record), current is None)

    def _current(self, kind: str, item: Pending) -> dict[str, Any] | None:
        data = item.data
        if data.get("id") is not None:
            found = self.store.get(kind, int(data["id"]))
            if found is None and item.action in ("update", "delete"):
                raise LookupError(kind)
            return found
        if item.action in ("update", "create_or_update") and data.get("external_id"):
            found = self.store.find(kind, "external_id", str(data["external_id"]))
            if found is not None or item.action == "create_or_update":
                return found
        if item.action == "create_or_update" and kind == "users" and data.get("email"):
            return self.store.find(kind, "email", str(data["email"]))
        if item.action in ("update", "delete"):
            raise LookupError(kind)
        return None

    def _inherit(self, kind: str, record: dict[str, Any]) -> None:
        """A ticket without an organization takes its requester's, as Zendesk does."""
        if kind == "tickets" and not record.get("organization_id") and record.get("requester_id"):
            requester = self.store.get("users", int(record["requester_id"]))
            if requester is not None:
                record["organization_id"] = requester.get("organization_id")
            if not record.get("submitter_id"):
                record["submitter_id"] = record["requester_id"]

    def _delete(self, kind: str, current: dict[str, Any] | None) -> dict[str, Any]:
        """Tickets and users are soft-deleted (visible in the export); organizations vanish."""
        if current is None:
            raise LookupError(kind)
        if kind == "tickets":
            if current.get("status") == "deleted":
                raise LookupError(kind)
            return self.store.save(kind, {**current, "status": "deleted"})
        if kind == "users":
            if current.get("active") is False:
                raise LookupError(kind)  # already deleted: only deleted_users/{id} can purge it
            return self.store.save(kind, {**current, "active": False})
        self.store.remove(kind, int(current["id"]))
        return current

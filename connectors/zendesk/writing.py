"""Writes as Zendesk's bulk jobs: plan per operation, submit at most 100 per job, poll, map results.

- users: UPSERT -> `create_or_update_many` (a job; Zendesk matches on external_id, or email);
- organizations: UPSERT -> `create_or_update`, one synchronous call per record (Zendesk has no
  bulk form; zenpy refuses a list);
- all three: CREATE -> `create_many`, UPDATE -> `update_many`, DELETE -> `destroy_many` (jobs);
- tickets cannot be upserted (no such endpoint), ARCHIVE has no Zendesk meaning: failed results.

Create-or-update and update are idempotent server-side, so when their submission gets no
answer it is simply sent again: nothing can be written twice. A `create_many` whose answer
was lost may have been queued, so its operations come back UNKNOWN (the engine parks them),
and so do the operations of a job that does not finish within `job_timeout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zenpy.lib.api_objects import Organization, Ticket, User

from connectors.zendesk.schema import FIELDS
from officebridge.connector import FieldKind, OpKind, WriteOp, WriteResult

CLASSES: dict[str, type[Any]] = {"organizations": Organization, "users": User, "tickets": Ticket}
CHUNK = 100
REFERENCES = {
    kind: {f.name for f in fields if f.kind is FieldKind.REFERENCE} for kind, fields in FIELDS.items()
}
FIELD_NAMES = {
    "email",
    "name",
    "external_id",
    "requester",
    "description",
    "organization_id",
    "role",
    "status",
}


@dataclass(frozen=True, slots=True)
class Batch:
    """Ops of one kind of call: `method` names it (create_many, update_many, ...)."""

    method: str
    indexes: list[int]  # positions in the caller's op list
    idempotent: bool


def unsupported(kind: str, op: WriteOp) -> WriteResult | None:
    if op.kind is OpKind.ARCHIVE:
        return WriteResult.failure(
            op, "ARCHIVE_NOT_SUPPORTED", f"Zendesk {kind} cannot be archived; use delete"
        )
    if op.kind is OpKind.UPSERT and kind == "tickets":
        return WriteResult.failure(op, "UPSERT_NOT_SUPPORTED", "Zendesk tickets have no create-or-update")
    if op.kind is OpKind.UPSERT and op.key_field not in ("external_id", "email", "id"):
        return WriteResult.failure(
            op, "UNSUPPORTED_KEY", f"Zendesk matches {kind} by external_id, not {op.key_field}"
        )
    if op.kind is OpKind.UPSERT and kind == "organizations" and op.key_field == "email":
        return WriteResult.failure(op, "UNSUPPORTED_KEY", "organizations have no email")
    return None


def plan(kind: str, ops: Sequence[WriteOp], todo: list[int]) -> list[Batch]:
    groups: dict[str, list[int]] = {}
    for i in todo:
        method = {
            OpKind.CREATE: "create_many",
            OpKind.UPDATE: "update_many",
            OpKind.DELETE: "destroy_many",
            OpKind.UPSERT: "create_or_update" if kind == "organizations" else "create_or_update_many",
        }[ops[i].kind]
        groups.setdefault(method, []).append(i)
    batches = []
    for method, indexes in groups.items():
        size = 1 if method == "create_or_update" else CHUNK
        for start in range(0, len(indexes), size):
            batches.append(Batch(method, indexes[start : start + size], method != "create_many"))
    return batches


def zen_object(kind: str, op: WriteOp) -> Any:
    """The zenpy object for one op. Zendesk ids are integers; the engine carries every id as text
    (a lookup or link result), so reference fields holding digits are sent as numbers."""
    values = {
        k: int(v) if k in REFERENCES[kind] and isinstance(v, str) and v.isdigit() else v
        for k, v in op.values.items()
    }
    if op.target_id and op.kind is not OpKind.CREATE:
        values["id"] = int(op.target_id)
    if kind == "tickets" and op.kind is OpKind.CREATE and "description" in values and "comment" not in values:
        values["comment"] = {"body": values["description"]}
    obj = CLASSES[kind](**{k: v for k, v in values.items() if v is not None})
    for key, value in values.items():
        if value is None:
            setattr(obj, key, None)  # marks the field dirty, so zenpy sends the null (a cleared field)
    return obj


def result_for(op: WriteOp, item: dict[str, Any] | None, method: str) -> WriteResult:
    if item is None:
        return WriteResult.unknown(op, f"the {method} job reported no result for this record")
    if item.get("success") is False or str(item.get("status", "")).lower() == "failed":
        details = str(item.get("details") or item.get("error") or "refused")
        field = details.split(":", 1)[0].strip().lower() if ":" in details else ""
        fields = (field,) if field in FIELD_NAMES else ()
        return WriteResult.failure(op, str(item.get("error") or "Failed"), details, fields=fields)
    target = str(item["id"]) if item.get("id") is not None else op.target_id
    created = item.get("action") == "create" or item.get("status") == "Created"
    return WriteResult.success(op, target, created=created)


def by_position(results: list[dict[str, Any]], count: int) -> list[dict[str, Any] | None]:
    """Job results in item order: by `index` where Zendesk gives one, else in the order listed."""
    placed: list[dict[str, Any] | None] = [None] * count
    unindexed = []
    for item in results:
        index = item.get("index")
        if isinstance(index, int) and 0 <= index < count:
            placed[index] = item
        else:
            unindexed.append(item)
    for slot, item in zip([i for i, p in enumerate(placed) if p is None], unindexed, strict=False):
        placed[slot] = item
    return placed

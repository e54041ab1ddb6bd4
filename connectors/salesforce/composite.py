"""Write batches as sObject Collections requests (`/composite/sobjects`), and read their results.

One request carries at most 200 records and always `allOrNone: false`, so one bad
record fails alone and the others land. The requests:

- CREATE -> POST `composite/sobjects` with `attributes.type` on each record;
- UPDATE (and ARCHIVE, rewritten as an update by the connector) -> PATCH `composite/sobjects` with `id`;
- UPSERT -> PATCH `composite/sobjects/{Object}/{ExternalIdField}`, whose results say `created`;
- DELETE -> DELETE `composite/sobjects?ids=...&allOrNone=false` (to the recycle bin).

Salesforce answers with one result per record, in order; per-record errors carry
`statusCode`, `message` and `fields`. They become failed `WriteResult`s, never
exceptions. Pure request/response shaping lives here; the connector sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.salesforce.soql import jsonable
from officebridge.connector import OpKind, WriteOp, WriteResult
from officebridge.errors import RemoteProtocolError

MAX_RECORDS = 200  # the sObject Collections limit per request
IDEMPOTENT = frozenset({OpKind.UPDATE, OpKind.UPSERT, OpKind.DELETE})


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive ops of one kind (and one upsert key) that go in one request."""

    kind: OpKind
    key_field: str | None
    indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    params: dict[str, str] | None
    body: dict[str, Any] | None


def plan(ops: Sequence[WriteOp], max_records: int = MAX_RECORDS) -> list[Chunk]:
    """Group consecutive same-kind ops into chunks; order across chunks is the caller's order."""
    chunks: list[Chunk] = []
    current: list[int] = []
    key: tuple[OpKind, str | None] | None = None
    for index, op in enumerate(ops):
        op_key = (op.kind, op.key_field if op.kind is OpKind.UPSERT else None)
        if current and (op_key != key or len(current) >= max_records):
            assert key is not None
            chunks.append(Chunk(key[0], key[1], tuple(current)))
            current = []
        key = op_key
        current.append(index)
    if current and key is not None:
        chunks.append(Chunk(key[0], key[1], tuple(current)))
    return chunks


def _record(object_name: str, values: dict[str, Any], record_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"attributes": {"type": object_name}}
    body.update({k: jsonable(v) for k, v in values.items() if k.lower() != "id"})
    if record_id is not None:
        body["id"] = record_id
    return body


def build(object_name: str, kind: OpKind, key_field: str | None, ops: Sequence[WriteOp]) -> Request:
    if kind is OpKind.CREATE:
        records = [_record(object_name, op.values) for op in ops]
        return Request("POST", "composite/sobjects", None, {"allOrNone": False, "records": records})
    if kind is OpKind.UPDATE:
        records = [_record(object_name, op.values, op.target_id) for op in ops]
        return Request("PATCH", "composite/sobjects", None, {"allOrNone": False, "records": records})
    if kind is OpKind.UPSERT:
        records = [_record(object_name, op.values) for op in ops]
        path = f"composite/sobjects/{object_name}/{key_field}"
        return Request("PATCH", path, None, {"allOrNone": False, "records": records})
    if kind is OpKind.DELETE:
        ids = ",".join(str(op.target_id) for op in ops)
        return Request("DELETE", "composite/sobjects", {"ids": ids, "allOrNone": "false"}, None)
    raise ValueError(f"no composite request for {kind}")  # ARCHIVE is rewritten before this point


def results(object_name: str, kind: OpKind, ops: Sequence[WriteOp], body: Any) -> list[WriteResult]:
    if not isinstance(body, list) or len(body) != len(ops):
        got = len(body) if isinstance(body, list) else type(body).__name__
        raise RemoteProtocolError(
            f"{kind.value} {object_name}: expected {len(ops)} results from composite/sobjects, got {got}"
        )
    return [_one(op, kind, raw) for op, raw in zip(ops, body, strict=True)]


def _one(op: WriteOp, kind: OpKind, raw: Any) -> WriteResult:
    if not isinstance(raw, dict):
        raise RemoteProtocolError(f"composite/sobjects: unreadable result for record {op.ref!r}")
    target_id = raw.get("id") or op.target_id
    if raw.get("success"):
        created = kind is OpKind.CREATE or (kind is OpKind.UPSERT and bool(raw.get("created")))
        return WriteResult.success(op, target_id, created=created)
    errors = [e for e in raw.get("errors") or [] if isinstance(e, dict)]
    first = errors[0] if errors else {}
    fields: list[str] = []
    for error in errors:
        fields.extend(str(f) for f in error.get("fields") or [] if str(f) not in fields)
    return WriteResult.failure(
        op,
        str(first.get("statusCode") or "UNKNOWN_EXCEPTION"),
        "; ".join(str(e.get("message") or "") for e in errors) or "Salesforce gave no reason",
        fields=tuple(fields),
        target_id=target_id,
    )

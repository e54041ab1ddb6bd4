"""Batch writes: at most 100 inputs per call, results correlated by trace id, refused batches bisected.

HubSpot answers a batch in one of three ways, and each becomes per-operation results:

- 200/201: every input applied; results come in no particular order, so each
  input carries an `objectWriteTraceId` (its index) that its result echoes;
- 207 multi-status: the inputs named in `errors` (by id, e.g. OBJECT_NOT_FOUND)
  failed, the rest were applied;
- 400 VALIDATION_ERROR or 409 CONFLICT for the whole batch, naming no input: the
  batch is split in halves and each half sent again until the refused inputs
  stand alone (log2(100) = 7 levels at most), so one bad record fails alone.

A create whose answer was lost (5xx, dropped, timed out) is UNKNOWN, never
resent here; update, upsert and archive are idempotent and are retried by the
adapter. A contact's `associatedcompanyid` on create becomes an association to
that company (the primary contact-to-company type, HUBSPOT_DEFINED 1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.hubspot.client import HubSpotApi, Reply
from connectors.hubspot.errors import HubSpotRequestError
from connectors.hubspot.records import to_wire
from officebridge.connector import NO_RESULT, ObjectInfo, OpKind, WriteOp, WriteResult
from officebridge.errors import OutcomeUnknownError

MAX_BATCH = 100
VERBS = {OpKind.CREATE: "create", OpKind.UPDATE: "update", OpKind.UPSERT: "upsert", OpKind.ARCHIVE: "archive"}
PRIMARY_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
_PROPERTY_NAME = re.compile(r'"name":\s*"([^"]+)"')


@dataclass(frozen=True, slots=True)
class Chunk:
    kind: OpKind
    key_field: str | None
    ops: list[WriteOp]


def plan(ops: Sequence[WriteOp]) -> list[Chunk]:
    """Consecutive ops of one kind (and upsert key) in chunks of at most 100, order kept."""
    chunks: list[Chunk] = []
    for op in ops:
        last = chunks[-1] if chunks else None
        if (
            last is None
            or last.kind is not op.kind
            or last.key_field != op.key_field
            or len(last.ops) >= MAX_BATCH
        ):
            chunks.append(Chunk(op.kind, op.key_field, [op]))
        else:
            last.ops.append(op)
    return chunks


class BatchWriter:
    def __init__(self, api: HubSpotApi, object_name: str, info: ObjectInfo) -> None:
        self.api = api
        self.object_name = object_name
        self.info = info

    def _props(self, values: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, str]:
        return {k: to_wire(self.info.fields.get(k), v) for k, v in values.items() if k not in drop}

    def _input(self, op: WriteOp, trace: str) -> dict[str, Any]:
        if op.kind is OpKind.ARCHIVE:
            return {"id": str(op.target_id)}
        if op.kind is OpKind.UPSERT:
            key = str(op.key_field)
            return {
                "idProperty": key,
                "id": to_wire(self.info.fields.get(key), op.values[key]),
                "properties": self._props(op.values),
                "objectWriteTraceId": trace,
            }
        if op.kind is OpKind.UPDATE:
            return {
                "id": str(op.target_id),
                "properties": self._props(op.values),
                "objectWriteTraceId": trace,
            }
        company = op.values.get("associatedcompanyid") if self.object_name == "contacts" else None
        body: dict[str, Any] = {
            "properties": self._props(op.values, ("associatedcompanyid",) if company else ()),
            "objectWriteTraceId": trace,
        }
        if company not in (None, ""):
            body["associations"] = [{"to": {"id": str(company)}, "types": [PRIMARY_COMPANY]}]
        return body

    def send(self, chunk: Chunk) -> list[WriteResult]:
        ops = chunk.ops
        verb = VERBS[chunk.kind]
        body = {"inputs": [self._input(op, str(i)) for i, op in enumerate(ops)]}
        fn = getattr(self.api.batch, verb)
        try:
            reply = self.api.call(
                f"batch {verb} {len(ops)} {self.object_name}",
                fn,
                self.object_name,
                body,
                idempotent=chunk.kind is not OpKind.CREATE,
            )
        except OutcomeUnknownError as exc:
            return [WriteResult.unknown(op, str(exc)) for op in ops]
        except HubSpotRequestError as exc:
            if exc.status in (400, 409) and len(ops) > 1:
                half = len(ops) // 2
                return [
                    *self.send(Chunk(chunk.kind, chunk.key_field, ops[:half])),
                    *self.send(Chunk(chunk.kind, chunk.key_field, ops[half:])),
                ]
            return [self._refused(op, exc) for op in ops]
        return self._results(chunk, reply)

    def _refused(self, op: WriteOp, exc: HubSpotRequestError) -> WriteResult:
        fields: list[str] = []
        for detail in exc.body.get("errors") or []:
            fields.extend((detail.get("context") or {}).get("propertyName") or [])
        if not fields:
            fields = _PROPERTY_NAME.findall(str(exc.body.get("message") or ""))
        code = _error_code(exc.body) or exc.category or f"HTTP_{exc.status}"
        return WriteResult.failure(op, code, str(exc), fields=tuple(dict.fromkeys(fields)))

    def _results(self, chunk: Chunk, reply: Reply) -> list[WriteResult]:
        ops = chunk.ops
        if chunk.kind is OpKind.ARCHIVE:
            return [WriteResult.success(op, op.target_id) for op in ops]
        by_trace: dict[str, dict[str, Any]] = {}
        by_id: dict[str, dict[str, Any]] = {}
        for raw in reply.body.get("results") or []:
            if "objectWriteTraceId" in raw:
                by_trace[str(raw["objectWriteTraceId"])] = raw
            by_id[str(raw.get("id"))] = raw
        failed: dict[str, dict[str, Any]] = {}
        for err in reply.body.get("errors") or []:
            for key in (err.get("context") or {}).get("ids") or []:
                failed[str(key)] = err
        out = []
        for i, op in enumerate(ops):
            raw = by_trace.get(str(i)) or (by_id.get(str(op.target_id)) if op.target_id else None)
            key = (
                str(op.target_id)
                if chunk.kind is OpKind.UPDATE
                else str(op.values.get(op.key_field or "", ""))
            )
            if raw is not None:
                created = chunk.kind is OpKind.CREATE or bool(raw.get("new"))
                out.append(WriteResult.success(op, str(raw["id"]), created=created))
            elif key in failed:
                err = failed[key]
                out.append(
                    WriteResult.failure(op, str(err.get("category") or "ERROR"), str(err.get("message")))
                )
            else:
                out.append(WriteResult.failure(op, NO_RESULT, f"HubSpot gave no result for {op.ref!r}"))
        return out


def _error_code(body: dict[str, Any]) -> str | None:
    """The first per-property code HubSpot gives (e.g. INVALID_EMAIL), from `errors` or the message's JSON."""
    for detail in body.get("errors") or []:
        if detail.get("code"):
            return str(detail["code"])
    message = str(body.get("message") or "")
    start = message.find("[")
    if start >= 0:
        try:
            listed = json.loads(message[start:])
            if listed and isinstance(listed[0], dict) and listed[0].get("error"):
                return str(listed[0]["error"])
        except ValueError:
            return None
    return None

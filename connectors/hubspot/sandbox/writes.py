"""The batch endpoints: create, update, upsert, archive and read, up to 100 inputs per call.

HubSpot's batch semantics, as the sandbox serves them:

- a property value that does not validate (or a `record_error` fault) refuses the
  WHOLE batch with 400 VALIDATION_ERROR; a unique value taken by another record
  refuses it with 409 CONFLICT: nothing in that batch is written, and the answer
  does not say which input was at fault (a client bisects to find it);
- ids that do not exist (update, read) are not fatal: the others are applied and
  the answer is 207 multi-status, with `errors` naming the missing ids;
- archive is idempotent and answers 204 whatever the ids;
- results come back in no particular order; an input's `objectWriteTraceId` is
  echoed on its result, which is how a client correlates them;
- a batch is one write: all its records share one modification stamp.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from connectors.hubspot.sandbox import errors
from connectors.hubspot.sandbox.records import as_json, wanted
from connectors.hubspot.sandbox.schema import (
    CONTACT_TO_COMPANY,
    CONTACT_TO_COMPANY_PRIMARY,
    DEAL_TO_COMPANY,
    ObjectType,
)
from connectors.hubspot.sandbox.store import Row, Store
from connectors.hubspot.sandbox.values import check_properties, iso, now_ms, refusal
from officebridge.sandboxkit.wire import Answer

MAX_INPUTS = 100
ASSOCIATION_TYPES = {
    ("contacts", CONTACT_TO_COMPANY_PRIMARY): "companies",
    ("contacts", CONTACT_TO_COMPANY): "companies",
    ("deals", DEAL_TO_COMPANY): "companies",
}
Refuse = Callable[[ObjectType, dict[str, Any]], dict[str, Any] | None]


class BatchRefused(Exception):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer


def _inputs(body: Any) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise BatchRefused(
            errors.validation("Invalid input JSON on line 1: expected an object with inputs[]")
        )
    if len(inputs) > MAX_INPUTS:
        raise BatchRefused(
            errors.validation(
                f"Batch input size limit exceeded: {len(inputs)} inputs given, at most {MAX_INPUTS} allowed"
            )
        )
    return inputs


def _validation(refused: list[dict[str, Any]]) -> BatchRefused:
    details = [
        {"message": r["message"], "code": r["error"], "context": {"propertyName": [r["name"]]}}
        for r in refused
    ]
    return BatchRefused(errors.validation(f"Property values were not valid: {json.dumps(refused)}", details))


def _done(status: int, results: list[dict[str, Any]], started: int, errs: list[dict[str, Any]]) -> Answer:
    random.shuffle(results)  # HubSpot promises no order; objectWriteTraceId correlates
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso(started),
        "completedAt": iso(now_ms()),
    }
    if errs:
        body.update(numErrors=len(errs), errors=errs)
        status = 207
    return errors.answer(status, body)


def _trace(given: dict[str, Any]) -> dict[str, Any]:
    trace = given.get("objectWriteTraceId")
    return {"objectWriteTraceId": str(trace)} if trace is not None else {}


class Writer:
    def __init__(self, store: Store, refuse: Refuse) -> None:
        self.store = store
        self.refuse = refuse

    # -- checks shared by every write --------------------------------------------------------
    def _check(self, obj: ObjectType, props: Any, refused: list[dict[str, Any]]) -> dict[str, str | None]:
        if not isinstance(props, dict):
            refused.append(refusal("properties", "properties must be an object", "INVALID_INPUT"))
            return {}
        clean, problems = check_properties(obj, props)
        refused.extend(problems)
        fault = self.refuse(obj, props)
        if fault is not None:
            refused.append(fault)
        return clean

    def _conflicts(self, obj: ObjectType, rows: list[tuple[dict[str, str | None], int | None]]) -> None:
        """409 when a unique value is already held by another live record, or twice in the batch."""
        for name in [n for n in obj.props if obj.unique(n) and n != "hs_object_id"]:
            seen: dict[str, int | None] = {}
            values = [str(p[name]) for p, _ in rows if p.get(name)]
            holders = self.store.find(obj.name, name, values) if values else {}
            for props, own_id in rows:
                value = props.get(name)
                if not value:
                    continue
                key = value.casefold()
                holder = holders.get(value)
                other = holder.id if holder is not None and holder.id != own_id else None
                if other is None and key in seen and seen[key] != own_id:
                    other = seen[key] or 0
                if other is not None:
                    what = obj.singular.title()
                    message = (
                        f"{what} already exists. Existing ID: {other}"
                        if name == "email"
                        else f"A {what} with {name} {value!r} already exists. Existing ID: {other}"
                    )
                    raise BatchRefused(errors.error(409, "CONFLICT", message))
                seen[key] = own_id

    def _associations(self, obj: ObjectType, given: Any) -> list[tuple[str, int, int]]:
        links: list[tuple[str, int, int]] = []
        for assoc in given or []:
            to_id = str((assoc.get("to") or {}).get("id", ""))
            for kind in assoc.get("types") or []:
                type_id = int(kind.get("associationTypeId", 0))
                to_type = ASSOCIATION_TYPES.get((obj.name, type_id))
                if to_type is None or not to_id.isdigit() or not self.store.get(to_type, [int(to_id)]):
                    raise BatchRefused(
                        errors.validation(
                            f"Invalid association: type {type_id} to {to_id!r} does not exist for {obj.name}"
                        )
                    )
                links.append((to_type, int(to_id), type_id))
        return links

    # -- the endpoints -----------------------------------------------------------------------
    def create(self, obj: ObjectType, body: Any) -> Answer:
        started = now_ms()
        inputs = _inputs(body)
        refused: list[dict[str, Any]] = []
        checked = [self._check(obj, i.get("properties", {}), refused) for i in inputs]
        if refused:
            raise _validation(refused)
        links = [self._associations(obj, i.get("associations")) for i in inputs]
        self._conflicts(obj, [(p, None) for p in checked])
        ids = self.store.next_ids(len(inputs))
        stamp = now_ms()
        results = []
        with self.store.transaction() as db:
            for given, props, new_id, assoc in zip(inputs, checked, ids, links, strict=True):
                row = self._new_row(obj, new_id, props, stamp)
                for to_type, to_id, type_id in assoc:
                    self.store.associate(db, (obj.name, new_id, to_type, to_id, type_id))
                    if obj.name == "contacts" and to_type == "companies":
                        row.props.setdefault("associatedcompanyid", None)
                        row.props["associatedcompanyid"] = row.props["associatedcompanyid"] or str(to_id)
                self.store.put(db, row, stamp=stamp)
                results.append(as_json(obj, row, None, **_trace(given)))
        return _done(201, results, started, [])

    def _new_row(self, obj: ObjectType, new_id: int, props: dict[str, str | None], stamp: int) -> Row:
        full: dict[str, str | None] = {k: v for k, v in props.items() if v is not None}
        full.update(hs_object_id=str(new_id), createdate=iso(stamp), **{obj.modified: iso(stamp)})
        if obj.name == "contacts":
            full.setdefault("hs_email_optout", "false")
            full.setdefault("lifecyclestage", "lead")
        if obj.name == "deals":
            full.setdefault("pipeline", "default")
        return Row(obj.name, new_id, full, stamp, stamp, False, None)

    def _apply(self, obj: ObjectType, row: Row, props: dict[str, str | None], stamp: int) -> bool:
        changed = {k: v for k, v in props.items() if row.props.get(k) != v}
        if not changed:
            return False
        row.props.update(changed)
        row.props[obj.modified] = iso(stamp)
        row.updated_ms = stamp
        return True

    def _resolve(
        self, obj: ObjectType, inputs: list[dict[str, Any]], id_property: str | None
    ) -> dict[str, Row]:
        keys = [str(i.get("id", "")) for i in inputs]
        if id_property and id_property != "hs_object_id":
            if not obj.unique(id_property):
                raise BatchRefused(errors.validation(f"{id_property} is not a unique property of {obj.name}"))
            return self.store.find(obj.name, id_property, keys)
        rows = self.store.get(obj.name, [int(k) for k in keys if k.isdigit()])
        return {k: rows[int(k)] for k in keys if k.isdigit() and int(k) in rows}

    def update(self, obj: ObjectType, body: Any) -> Answer:
        started = now_ms()
        inputs = _inputs(body)
        keys = [str(i.get("id", "")) for i in inputs]
        if len(set(keys)) != len(keys):
            raise BatchRefused(
                errors.validation(
                    "Duplicate IDs found in batch input: "
                    + ", ".join(sorted({k for k in keys if keys.count(k) > 1}))
                )
            )
        refused: list[dict[str, Any]] = []
        checked = [self._check(obj, i.get("properties", {}), refused) for i in inputs]
        if refused:
            raise _validation(refused)
        id_property = inputs[0].get("idProperty") if inputs else None
        found = self._resolve(obj, inputs, id_property)
        self._conflicts(obj, [(p, found[k].id) for k, p in zip(keys, checked, strict=True) if k in found])
        stamp = now_ms()
        results, missing = [], []
        with self.store.transaction() as db:
            for given, key, props in zip(inputs, keys, checked, strict=True):
                row = found.get(key)
                if row is None:
                    missing.append(key)
                    continue
                if self._apply(obj, row, props, stamp):
                    self.store.put(db, row, stamp=stamp)
                results.append(as_json(obj, row, None, **_trace(given)))
        return _done(200, results, started, self._not_found(obj, missing))

    def upsert(self, obj: ObjectType, body: Any) -> Answer:
        started = now_ms()
        inputs = _inputs(body)
        names = {str(i.get("idProperty") or "") for i in inputs}
        for name in names:
            if not obj.unique(name):
                raise BatchRefused(
                    errors.validation(f"idProperty {name!r} is not a unique property of {obj.name}")
                )
        keys = [str(i.get("id", "")) for i in inputs]
        if len({k.casefold() for k in keys}) != len(keys):
            raise BatchRefused(errors.validation("Duplicate IDs found in batch input"))
        refused: list[dict[str, Any]] = []
        checked = []
        for given, key in zip(inputs, keys, strict=True):
            props = dict(given.get("properties") or {})
            props.setdefault(str(given["idProperty"]), key)
            checked.append(self._check(obj, props, refused))
        if refused:
            raise _validation(refused)
        found: dict[str, Row] = {}
        for name in names:
            found.update(self._resolve(obj, [i for i in inputs if i.get("idProperty") == name], name))
        self._conflicts(
            obj, [(p, found[k].id if k in found else None) for k, p in zip(keys, checked, strict=True)]
        )
        fresh = [k for k in keys if k not in found]
        new_ids = iter(self.store.next_ids(len(fresh)))
        stamp = now_ms()
        results = []
        with self.store.transaction() as db:
            for given, key, props in zip(inputs, keys, checked, strict=True):
                row = found.get(key)
                created = row is None
                if row is None:
                    row = self._new_row(obj, next(new_ids), props, stamp)
                    self.store.put(db, row, stamp=stamp)
                elif self._apply(obj, row, props, stamp):
                    self.store.put(db, row, stamp=stamp)
                results.append(as_json(obj, row, None, new=created, **_trace(given)))
        return _done(200, results, started, [])

    def archive(self, obj: ObjectType, body: Any) -> Answer:
        keys = [str(i.get("id", "")) for i in _inputs(body)]
        rows = self.store.get(obj.name, [int(k) for k in keys if k.isdigit()])
        stamp = now_ms()
        with self.store.transaction() as db:
            for row in rows.values():
                row.archived, row.archived_ms = True, stamp
                self.store.put(db, row, stamp=stamp)
        return Answer(204)

    def read(self, obj: ObjectType, body: Any, archived: bool) -> Answer:
        started = now_ms()
        inputs = _inputs(body)
        id_property = body.get("idProperty")
        props = wanted(obj, body.get("properties"))
        keys = [str(i.get("id", "")) for i in inputs]
        if id_property and id_property != "hs_object_id":
            if not obj.unique(str(id_property)):
                raise BatchRefused(errors.validation(f"{id_property} is not a unique property of {obj.name}"))
            found = self.store.find(obj.name, str(id_property), keys, archived=archived)
        else:
            rows = self.store.get(obj.name, [int(k) for k in keys if k.isdigit()], archived=archived)
            found = {k: rows[int(k)] for k in keys if k.isdigit() and int(k) in rows}
        results = [as_json(obj, found[k], props) for k in dict.fromkeys(keys) if k in found]
        missing = [k for k in keys if k not in found]
        return _done(200, results, started, self._not_found(obj, missing))

    def _not_found(self, obj: ObjectType, missing: list[str]) -> list[dict[str, Any]]:
        if not missing:
            return []
        message = (
            f"Could not get some {obj.singular} objects, they may be deleted or not exist. "
            "Check that ids are valid."
        )
        return [errors.standard_error("OBJECT_NOT_FOUND", message, {"ids": missing})]

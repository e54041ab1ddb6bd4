"""Query execution with server-side query locators (query, queryAll, queryMore).

Like Salesforce, the first call fixes the result set: the matching row ids in
order are kept under a locator, and each `nextRecordsUrl` page reads the next
batch of those rows. The locator remembers everything about the query (fields,
queryAll or not, batch size) because clients send only the URL on later pages.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.soql import parse
from connectors.salesforce.sandbox.soql_sql import Plan, translate
from connectors.salesforce.sandbox.store import Store
from connectors.salesforce.sandbox.values import ADDRESS_PARTS, from_storage, record_url

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_CURSORS = 500
CURSOR_TTL = 15 * 60


@dataclass
class Cursor:
    plan: Plan
    rowids: list[int]
    position: int
    batch: int
    include_deleted: bool
    touched: float
    key: str = ""


def batch_size_from_header(value: str | None) -> int:
    """`Sforce-Query-Options: batchSize=N`, clamped to Salesforce's 200..2000."""
    if not value:
        return DEFAULT_BATCH
    for part in value.split(","):
        key, _, raw = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and raw.strip().isdigit():
            return max(MIN_BATCH, min(DEFAULT_BATCH, int(raw.strip())))
    return DEFAULT_BATCH


class QueryEngine:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()

    def start(self, soql: str, include_deleted: bool, batch: int, version: str) -> dict[str, Any]:
        if not soql or not soql.strip():
            raise SfError("MALFORMED_QUERY", "unexpected token: <EOF>")
        plan = translate(self.store.catalog, parse(soql), include_deleted)
        rows = self.store.query(plan.ids_sql, plan.ids_params)
        if plan.count_only:
            return {"totalSize": len(rows), "done": True, "records": []}
        cursor = Cursor(plan, [r[0] for r in rows], 0, batch, include_deleted, time.monotonic())
        return self._page(cursor, version, include_deleted)

    def more(self, locator: str, version: str) -> dict[str, Any]:
        key = locator.rsplit("-", 1)[0]
        with self._lock:
            cursor = self._cursors.get(key)
        if cursor is None:
            raise SfError("INVALID_QUERY_LOCATOR", "invalid query locator", status=400)
        try:
            position = int(locator.rsplit("-", 1)[1]) if "-" in locator else cursor.position
        except ValueError:
            raise SfError("INVALID_QUERY_LOCATOR", "invalid query locator") from None
        if not 0 <= position <= len(cursor.rowids):
            raise SfError("INVALID_QUERY_LOCATOR", "invalid query locator")
        cursor.position = position
        return self._page(cursor, version, cursor.include_deleted)

    def _page(self, cursor: Cursor, version: str, include_deleted: bool) -> dict[str, Any]:
        chunk = cursor.rowids[cursor.position : cursor.position + cursor.batch]
        records = self._fetch(cursor.plan, chunk, version)
        end = cursor.position + len(chunk)
        body: dict[str, Any] = {"totalSize": len(cursor.rowids), "done": end >= len(cursor.rowids)}
        if not body["done"]:
            cursor.key = cursor.key or "01g" + secrets.token_hex(8)
            cursor.position = end
            cursor.touched = time.monotonic()
            self._remember(cursor.key, cursor)
            kind = "queryAll" if include_deleted else "query"
            body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{cursor.key}-{end}"
        body["records"] = records
        return body

    def _remember(self, key: str, cursor: Cursor) -> None:
        now = time.monotonic()
        with self._lock:
            self._cursors[key] = cursor
            while len(self._cursors) > MAX_CURSORS:
                self._cursors.popitem(last=False)
            for k in [k for k, c in self._cursors.items() if now - c.touched > CURSOR_TTL]:
                del self._cursors[k]

    def records(self, plan: Plan, rowids: list[int], version: str) -> list[dict[str, Any]]:
        """The records of these row ids in order, shaped as a query answers them (Bulk results too)."""
        return self._fetch(plan, rowids, version)

    def _fetch(self, plan: Plan, rowids: list[int], version: str) -> list[dict[str, Any]]:
        if not rowids:
            return []
        rows = {r["_rid"]: dict(r) for r in self.store.query(plan.page_sql(len(rowids)), rowids)}
        return [self._record(plan, rows[rid], version) for rid in rowids if rid in rows]

    def _record(self, plan: Plan, row: dict[str, Any], version: str) -> dict[str, Any]:
        base_id = row["_base_id"]
        out: dict[str, Any] = {
            "attributes": {"type": plan.spec.name, "url": record_url(plan.spec, base_id, version)}
        }
        for col in plan.columns:
            value = _column_value(col, row)
            if col.relationship is None:
                out[col.field.name] = value
                continue
            rel_name = col.relationship.relationship_name or col.relationship.name
            parent_id = row.get(f"{col.alias}__Id")
            if parent_id is None:
                out[rel_name] = None
                continue
            parent = out.get(rel_name)
            if parent is None:
                parent = {
                    "attributes": {"type": col.spec.name, "url": record_url(col.spec, parent_id, version)}
                }
                out[rel_name] = parent
            parent[col.field.name] = value
        return out


def _column_value(col: Any, row: dict[str, Any]) -> Any:
    if col.field.type == "address":
        prefix = col.field.name[: -len("Address")]
        parts = {}
        for p in ADDRESS_PARTS:
            parts[p[0].lower() + p[1:]] = row.get(f"{col.alias}_{prefix}{p}")
        return parts if any(v is not None for v in parts.values()) else None
    return from_storage(col.field, row.get(col.label))

"""The per-call environment: one transaction, one user, one context, one timestamp.

Odoo stamps every record written during one RPC call with the same
`write_date` (the transaction time, naive UTC, whole seconds); `Env.now` is
that timestamp. `Env` also carries the active `record_error` faults so the
write path can fail the matching records exactly like a real server would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.exceptions import MissingError, OdooServerError


def utc_now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


# (model, merged values) -> an exception to raise, or None
RecordCheck = Callable[[str, dict[str, Any]], OdooServerError | None]


@dataclass
class Env:
    conn: sqlite3.Connection
    uid: int
    context: dict[str, Any] = field(default_factory=dict)
    now: str = field(default_factory=utc_now_text)
    record_check: RecordCheck | None = None

    @property
    def active_test(self) -> bool:
        return self.context.get("active_test", True) is not False

    def spec(self, model: str) -> ModelSpec:
        return registry()[model]

    def rows(
        self, spec: ModelSpec, ids: Iterable[int], columns: Iterable[str] | None = None
    ) -> dict[int, dict[str, Any]]:
        """Rows by id (missing ids simply absent), chunked under SQLite's variable limit."""
        cols = ["id", *(columns if columns is not None else spec.columns)]
        select = ", ".join("id" if c == "id" else f'"{c}"' for c in dict.fromkeys(cols))
        out: dict[int, dict[str, Any]] = {}
        id_list = list(dict.fromkeys(int(i) for i in ids))
        for start in range(0, len(id_list), 900):
            chunk = id_list[start : start + 900]
            cur = self.conn.execute(
                f'SELECT {select} FROM "{spec.table}" WHERE id IN ({",".join("?" * len(chunk))})', chunk
            )
            names = [d[0] for d in cur.description]
            for row in cur:
                out[row[0]] = dict(zip(names, row, strict=True))
        return out

    def existing(self, spec: ModelSpec, ids: list[int]) -> list[int]:
        """The ids, all of which must exist; otherwise Odoo's MissingError."""
        found = self.rows(spec, ids, columns=[])
        missing = [i for i in ids if i not in found]
        if missing:
            shown = ", ".join(str(i) for i in missing)
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {spec.name}({shown},), User: {self.uid})"
            )
        return ids

    def check_record(self, model: str, values: dict[str, Any]) -> None:
        if self.record_check is not None:
            error = self.record_check(model, values)
            if error is not None:
                raise error


def as_ids(value: Any) -> list[int]:
    """Record ids as RPC sends them: one int, or a list of ints."""
    if value is None or value is False:
        return []
    if isinstance(value, bool):
        raise TypeError("ids must be integers")
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise TypeError(f"ids must be integers, got {value!r}")
        return [int(v) for v in value]
    raise TypeError(f"ids must be integers, got {value!r}")

"""One in-memory "remote" system, and the process-wide registry of them.

A system is addressed like a remote service, by the connection's host and
schema, so two connectors of one test (a sync's source and a link check, or
two syncs) see the same records. It serves every request the way a sandbox
does: injected faults first (the same vocabulary as the sandboxes), then the
session, then the request itself, on copies of plain values. Its admin side
(`seed`, `insert`, `touch`, `rows`, faults, stats) is for tests only.
"""

from __future__ import annotations

import copy
import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from officebridge.testing.memory.faults import FaultBook
from officebridge.testing.memory.store import RecordRefused, Row, Store
from officebridge.testing.memory.wire import (
    Dropped,
    LoginRefused,
    Refused,
    SessionInvalid,
    StatusError,
    TimedOut,
)

T = TypeVar("T")
_SYSTEMS: dict[tuple[str, str], MemorySystem] = {}
_REGISTRY_LOCK = threading.Lock()
COUNTRIES = {
    "DE": "Germany",
    "FR": "France",
    "PL": "Poland",
    "JP": "Japan",
    "BR": "Brazil",
    "US": "United States",
}


class MemorySystem:
    """Records, sessions, faults and stats of one system; every request goes through `serve`."""

    def __init__(
        self, host: str, schema: str = "default", *, login: str = "memory", password: str | None = None
    ) -> None:
        self.host, self.schema, self.login_name = host, schema, login
        self.password = password if password is not None else "mem-" + secrets.token_urlsafe(12)
        self.store = Store()
        self.faults = FaultBook()
        self._sessions: set[str] = set()
        self._lock = threading.RLock()
        self.running = True

    # --- the sandbox API ---------------------------------------------------------------

    port: int | None = None

    @property
    def url(self) -> str:
        return f"memory://{self.host}/{self.schema}"

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    def connection_value(self) -> str:
        """An AIRFLOW_CONN_* value pointing at this system."""
        user, password = quote(self.login_name, safe=""), quote(self.password, safe="")
        return f"memory://{user}:{password}@{self.host}/{quote(self.schema, safe='')}"

    def add_fault(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        operation: str | None = None,
        **params: Any,
    ) -> None:
        self.faults.add(kind, times=times, path=path, operation=operation, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stats(self) -> dict[str, Any]:
        return self.faults.stats()

    def reset_stats(self) -> None:
        self.faults.reset_stats()

    def expire_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def reset(self) -> None:
        """Empty, no faults, zero stats, no sessions."""
        with self._lock:
            self.store = Store()
            self._sessions.clear()
        self.clear_faults()
        self.reset_stats()

    def seed(self, accounts: int = 30, seed: int = 7) -> dict[str, int]:
        """Reset, then deterministic demo data: countries, accounts, 0-3 contacts each."""
        self.reset()
        rnd = random.Random(seed)
        self.insert("country", [{"code": c, "name": n} for c, n in COUNTRIES.items()])
        names = list(COUNTRIES.values())
        rows = [
            {
                "name": f"Account {i:04d} {rnd.choice(['GmbH', 'SA', 'Ltd', 'Inc'])}",
                "city": rnd.choice(["Berlin", "Lyon", "Kraków", "Osaka", None]),
                "country": rnd.choice(names),
                "external_ref": f"ACC-{i:05d}",
                "rating": rnd.choice(["Hot", "Warm", "Cold"]),
                "employees": rnd.randint(1, 5000),
            }
            for i in range(accounts)
        ]
        account_ids = self.insert("account", rows)
        contacts = [
            {
                "last_name": f"Person {n}",
                "first_name": rnd.choice(["Ann", "Bo", "Chi", None]),
                "email": f"person{n}@example.com",
                "account_id": a,
            }
            for n, a in enumerate(a for a in account_ids for _ in range(rnd.randint(0, 3)))
        ]
        self.insert("contact", contacts)
        return {"country": len(COUNTRIES), "account": accounts, "contact": len(contacts)}

    def insert(self, object_name: str, rows: list[Row]) -> list[str]:
        """Create records directly (as another user of the system would); refusals raise."""
        with self._lock:
            stamp = self.store.now()
            return [self.store.create(object_name, row, stamp) for row in rows]

    def touch(self, object_name: str, ids: list[str], at: datetime, field: str = "updated_at") -> None:
        """Set a change stamp directly (to make ties, or late commits)."""
        with self._lock:
            for record_id in ids:
                self.store.rows[object_name][record_id][field] = at

    def rows(self, object_name: str, *, include_deleted: bool = False) -> list[Row]:
        """Copies of the stored records, by id (tombstones only when asked)."""
        with self._lock:
            gone = self.store.deleted[object_name]
            rows = sorted(self.store.rows[object_name].items())
            return [
                copy.deepcopy(r) | {"deleted": i in gone} for i, r in rows if include_deleted or i not in gone
            ]

    # --- the wire ----------------------------------------------------------------------

    def login(self, login: str, password: str, timeout: float) -> str:
        def apply() -> str:
            same = secrets.compare_digest(password.encode(), self.password.encode())
            if login != self.login_name or not same:
                raise LoginRefused("INVALID_LOGIN: invalid username or password")
            token = secrets.token_urlsafe(24)
            self._sessions.add(token)
            return token

        return self.serve("login", None, timeout, apply)

    def serve(self, operation: str, token: str | None, timeout: float, apply: Callable[[], T]) -> T:
        """Faults, then the session, then the request (under the system's lock)."""
        if not self.running:
            raise Refused(f"connection refused: {self.url}")
        fault = self.faults.request(operation)
        kind = fault.kind if fault else None
        params = fault.params if fault else {}
        if kind == "rate_limit":
            retry_after = float(params.get("retry_after", 1))
            raise StatusError(429, "rate limit exceeded", retry_after=retry_after)
        if kind == "server_error":
            raise StatusError(int(params.get("status", 503)), "server error")
        if kind == "expire_sessions":
            self.expire_sessions()
        if kind == "drop" and not params.get("after", False):
            raise Dropped("connection closed with no answer")
        delay = float(params.get("seconds", 3600)) if kind in ("slow", "timeout") else 0.0
        with self._lock:
            if token is not None and token not in self._sessions:
                raise SessionInvalid("INVALID_SESSION_ID: session expired or invalid")
            result = apply()
        if kind == "drop":
            raise Dropped("connection closed with no answer (after applying the request)")
        if delay:
            time.sleep(min(delay, timeout))
            if delay > timeout:
                raise TimedOut(f"no answer within {timeout}s")
        return result

    def ping(self, token: str, timeout: float) -> bool:
        return self.serve("ping", token, timeout, lambda: True)

    def describe(self, token: str, object_name: str, timeout: float) -> Any:
        return self.serve(f"{object_name}.describe", token, timeout, lambda: self.store.info(object_name))

    def read_page(self, token: str, object_name: str, query: dict[str, Any], timeout: float) -> list[Any]:
        return self.serve(f"{object_name}.read", token, timeout, lambda: self.store.page(object_name, query))

    def fetch(
        self, token: str, object_name: str, fields: list[str], ids: list[str], timeout: float
    ) -> list[Any]:
        def apply() -> list[Any]:
            for name in fields:
                self.store.field(object_name, name)
            rows, gone = self.store.rows[object_name], self.store.deleted[object_name]
            return [
                (
                    i,
                    rows[i]["updated_at"],
                    i in gone or rows[i]["active"] is False,
                    self.store.out(object_name, rows[i], fields),
                )
                for i in ids
                if i in rows
            ]

        return self.serve(f"{object_name}.fetch", token, timeout, apply)

    def lookup(
        self, token: str, object_name: str, field: str, values: list[Any], timeout: float
    ) -> dict[Any, str]:
        return self.serve(
            f"{object_name}.lookup", token, timeout, lambda: self.store.find(object_name, field, values)
        )

    def has_values(self, token: str, object_name: str, field: str, timeout: float) -> bool:
        return self.serve(
            f"{object_name}.has_values", token, timeout, lambda: self.store.has_values(object_name, field)
        )

    def write(
        self, token: str, object_name: str, kind: str, ops: list[dict[str, Any]], timeout: float
    ) -> list[Row]:
        """One request of one kind; each op succeeds or fails on its own (no all-or-none)."""

        def apply() -> list[Row]:
            stamp = self.store.now()
            return [self._apply_one(object_name, kind, op, stamp) for op in ops]

        return self.serve(f"{object_name}.{kind}", token, timeout, apply)

    def _apply_one(self, object_name: str, kind: str, op: dict[str, Any], stamp: datetime) -> Row:
        values, target = op["values"], str(op.get("target_id"))
        try:
            refused = (
                self.record_fault(object_name, values) if kind in ("create", "update", "upsert") else None
            )
            if refused is not None:
                raise refused
            if kind == "upsert":
                key = op["key_field"]
                if not self.store.field(object_name, key).external_id:
                    raise RecordRefused(
                        "INVALID_KEY_FIELD", f"{object_name}.{key} is not an external id", (key,)
                    )
                hits = [r["id"] for r in self.rows(object_name) if r[key] == values[key]]
                if len(hits) > 1:
                    raise RecordRefused(
                        "DUPLICATE_EXTERNAL_ID", f"{len(hits)} records have {key} = {values[key]!r}", (key,)
                    )
                if not hits:
                    return {"ok": True, "id": self.store.create(object_name, values, stamp), "created": True}
                kind, target = "update", hits[0]
            if kind == "create":
                return {"ok": True, "id": self.store.create(object_name, values, stamp), "created": True}
            if kind == "update":
                self.store.update(object_name, target, values, stamp)
            elif kind == "archive":
                self.store.update(object_name, target, {"active": False}, stamp)
            elif kind == "delete":
                self.store.delete(object_name, target, stamp)
            return {"ok": True, "id": target, "created": False}
        except RecordRefused as exc:
            return {"ok": False, "code": exc.code, "message": exc.message, "fields": exc.fields}

    def record_fault(self, object_name: str, values: Row) -> RecordRefused | None:
        fault = self.faults.record_error(object_name, values)
        if fault is None:
            return None
        p = fault.params
        message = str(p.get("message") or f"{p['field']} may not be {p['value']!r}")
        return RecordRefused(
            str(p.get("code") or "FIELD_CUSTOM_VALIDATION_EXCEPTION"), message, (p["field"],)
        )


def memory_system(host: str, schema: str = "default", **credentials: Any) -> MemorySystem:
    """The system at host/schema, created on first use (credentials apply only then)."""
    with _REGISTRY_LOCK:
        key = (host, schema)
        if key not in _SYSTEMS:
            _SYSTEMS[key] = MemorySystem(host, schema, **credentials)
        return _SYSTEMS[key]


def find_system(host: str, schema: str) -> MemorySystem | None:
    with _REGISTRY_LOCK:
        return _SYSTEMS.get((host, schema))


def forget_system(host: str, schema: str = "default") -> None:
    with _REGISTRY_LOCK:
        _SYSTEMS.pop((host, schema), None)

"""The SalesforceSandbox object: the Python face of the sandbox (start, stop, seed, faults).

It wires the Salesforce parts together (schema catalog, SQLite store, writer,
query engine, REST routes, TLS) on the sandbox kit, which supplies lifecycle,
faults, sessions, stats and the admin routes. Besides the kit's common fault
kinds it declares two of Salesforce's own: `request_limit` (the daily limit's
403 REQUEST_LIMIT_EXCEEDED) and `api_error` (Salesforce's JSON 5xx answer).
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.salesforce.sandbox import server
from connectors.salesforce.sandbox.auth import DemoUser
from connectors.salesforce.sandbox.bulk import BulkApi
from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.query import QueryEngine
from connectors.salesforce.sandbox.records import Writer
from connectors.salesforce.sandbox.rest import RestApi
from connectors.salesforce.sandbox.schema import API_VERSION, ObjectSpec, load_catalog
from connectors.salesforce.sandbox.seed import seed as seed_data
from connectors.salesforce.sandbox.store import DEMO_USER_ID, Store, format_datetime, q
from connectors.salesforce.sandbox.user import demo_user_row
from connectors.salesforce.sandbox.values import parse_datetime_text
from officebridge.sandboxkit import Answer, Call, Fault, Kind, Request, SandboxBase, Sessions
from officebridge.sandboxkit.admin import Route
from officebridge.sandboxkit.tls import ensure_tls, server_context

USER_SINCE = "2024-01-02T09:00:00.000+0000"  # fixed, so the demo user looks the same in every sandbox
EXTRA_KINDS = {
    "request_limit": Kind("request_limit", doc="403 REQUEST_LIMIT_EXCEEDED: the org's daily API limit"),
    "api_error": Kind(
        "api_error",
        {"status": 500, "code": None, "message": None},
        doc="a 5xx with Salesforce's JSON error list (500 UNKNOWN_EXCEPTION with an ErrorId)",
    ),
    "bulk_job_failed": Kind(
        "bulk_job_failed",
        {"processed": 0},
        doc="the Bulk API 2.0 ingest job closed by the matching call fails after `processed` rows "
        "(state Failed, the rest in unprocessedrecords); match `operation='PATCH jobs/ingest'`",
    ),
}


def _session_token() -> str:
    return "00D5g000000SBOX!" + secrets.token_urlsafe(36)


API_DAY = 24 * 3600.0  # seconds: Salesforce counts API requests over a rolling 24 hours


class SalesforceSandbox(SandboxBase):
    """A local Salesforce REST API over HTTPS, backed by `<home>/salesforce.sqlite`."""

    system: ClassVar[str] = "salesforce"
    default_port: ClassVar[int] = 8443
    scheme: ClassVar[str] = "https"
    extra_kinds: ClassVar[Mapping[str, Kind]] = EXTRA_KINDS

    def __init__(
        self, home: Path, host: str = "127.0.0.1", port: int = 0, user: DemoUser | None = None
    ) -> None:
        super().__init__(home, host, port)
        self.user = user or DemoUser()
        self.ca_file, _, _ = ensure_tls(self.home, "Salesforce")
        self.store = Store(self.home / "salesforce.sqlite", load_catalog())
        self._ensure_user()
        self.writer = Writer(self.store, self._record_fault)
        self.queries = QueryEngine(self.store)
        self.rest = RestApi(self.store, self.writer, self.queries)
        self.bulk = BulkApi(self.store, self.writer, self.queries)
        self._job_failure = threading.local()  # an armed bulk_job_failed fault, for this request only
        self.bulk.job_fault = self._take_job_failure
        self._api_calls = 0  # what Sforce-Limit-Info reports; reset_stats leaves it, as a day's usage
        self._api_day = time.monotonic()  # when the current 24-hour usage period began
        self._api_lock = threading.Lock()
        self.allocation = server.API_LIMIT  # the daily allocation Sforce-Limit-Info reports
        self.enforce_allocation = False  # set_limits turns on the 403 once usage passes the allocation

    # -- data ---------------------------------------------------------------------------------
    def reset(self) -> None:
        self.store.reset()
        self._ensure_user()
        self.queries.clear()
        self.bulk.clear()
        with self._api_lock:  # a reset org starts a new day: no usage, the default allocation, reported only
            self.allocation, self.enforce_allocation, self._api_calls = server.API_LIMIT, False, 0
            self._api_day = time.monotonic()

    def _ensure_user(self) -> None:
        """The demo user is reference data: every record's owner, so it survives reset()."""
        spec = self.store.catalog.objects["User"]
        with self.store.transaction():
            if self.store.get_row(spec, DEMO_USER_ID) is None:
                row = demo_user_row(DEMO_USER_ID, self.user.username, USER_SINCE)
                self.store.insert_rows(spec, [row])

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        return seed_data(self.store, accounts=accounts, seed=seed)

    def seed_accounts_only(self, accounts: int, seed: int = 7) -> dict[str, int]:
        """Benchmark helper: N accounts, no contacts."""
        return seed_data(self.store, accounts=accounts, seed=seed, contacts=False)

    def touch(self, object_name: str, ids: list[str], at: datetime | str) -> int:
        """Set SystemModstamp (and LastModifiedDate) of records explicitly, e.g. to make them share one."""
        spec = self._spec(object_name)
        stamp = format_datetime(parse_datetime_text(at) if isinstance(at, str) else at)
        full = [normalize_id(i) for i in ids]
        marks = ", ".join("?" for _ in full)
        return self.store.execute(
            f'UPDATE {q(spec.name)} SET "SystemModstamp" = ?, "LastModifiedDate" = ? WHERE "Id" IN ({marks})',
            [stamp, stamp, *full],
        )

    def hard_delete(self, object_name: str, ids: list[str]) -> int:
        """Remove records entirely (as emptying the recycle bin does): even queryAll no longer sees them."""
        spec = self._spec(object_name)
        full = [normalize_id(i) for i in ids]
        return self.store.execute(
            f'DELETE FROM {q(spec.name)} WHERE "Id" IN ({", ".join("?" for _ in full)})', full
        )

    def _spec(self, name: str) -> ObjectSpec:
        spec = self.store.catalog.get(name)
        if spec is None:
            raise ValueError(f"unknown sObject {name!r}")
        return spec

    # -- connection ---------------------------------------------------------------------------
    def connection_value(self) -> str:
        return json.dumps(
            {
                "conn_type": "salesforce",
                "login": self.user.username,
                "password": self.user.password,
                "extra": {
                    "security_token": self.user.security_token,
                    "instance_url": self.url,
                    "ca_file": str(self.ca_file),
                    "version": API_VERSION,
                },
            }
        )

    # -- the wire ---------------------------------------------------------------------------
    def make_sessions(self) -> Sessions:
        return Sessions(_session_token)

    def tls_context(self) -> ssl.SSLContext:
        return server_context(self.home)

    def admit(self, request: Request) -> Call | Answer:
        refused = server.too_large(request)
        if refused is not None:
            return refused
        usage = self._api_calls
        if request.path.startswith(server.DATA_PREFIX):
            with self._api_lock:
                if time.monotonic() - self._api_day >= API_DAY:  # the allocation renews every 24 hours
                    self._api_calls, self._api_day = 0, time.monotonic()
                self._api_calls += 1
                usage = self._api_calls
            if self.enforce_allocation and usage > self.allocation:
                return server.request_limit_answer()
        return server.describe(request, usage, self.allocation)

    def set_limits(
        self, allocation: int | None = None, used: int | None = None, enforce: bool = True
    ) -> dict[str, int]:
        """Set the daily API allocation and the usage so far; from now on going past it is refused
        with 403 REQUEST_LIMIT_EXCEEDED, as Salesforce does (by default the sandbox only reports)."""
        with self._api_lock:
            if allocation is not None:
                if int(allocation) < 1:
                    raise ValueError("allocation must be positive")
                self.allocation = int(allocation)
            if used is not None:
                self._api_calls = max(0, int(used))
            self.enforce_allocation = bool(enforce)
            return {"allocation": self.allocation, "used": self._api_calls}

    def answer(self, request: Request, call: Call) -> Answer:
        return server.answer(self, request)

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        message = "Too many requests. Retry after the period in Retry-After."
        return server.json_answer(429, [{"message": message, "errorCode": "REQUEST_LIMIT_EXCEEDED"}])

    def extra_fault(self, fault: Fault, call: Call) -> Answer | None:
        if fault.name == "request_limit":
            return server.request_limit_answer()
        if fault.name == "bulk_job_failed":
            self._job_failure.after = int(fault.params["processed"])
            return None  # served normally; the job it closes fails part-way
        p = fault.params
        return server.json_answer(p["status"], server.api_error_body(p["status"], p["code"], p["message"]))

    def _take_job_failure(self) -> int | None:
        after: int | None = getattr(self._job_failure, "after", None)
        self._job_failure.after = None
        return after

    def extra_stats(self) -> dict[str, Any]:
        return {"api_usage": self._api_calls, "api_allocation": self.allocation}

    def admin_routes(self) -> dict[tuple[str, str], Route]:
        return {
            ("POST", "/_sandbox/touch"): lambda body: self.touch(body["object"], body["ids"], body["at"]),
            ("POST", "/_sandbox/limits"): lambda body: self.set_limits(
                body.get("allocation"), body.get("used")
            ),
        }

    def _record_fault(self, spec: ObjectSpec, row: dict[str, Any]) -> SfError | None:
        refusal = self.faults.refusal(spec.name, row)
        if refusal is None:
            return None
        return SfError(
            refusal.code or "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            refusal.message or "Record rejected by the sandbox's record_error fault",
            [refusal.field],
        )

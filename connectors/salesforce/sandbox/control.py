"""Sessions, injected faults and request statistics of a running sandbox.

These are the parts of the sandbox a test or an analyst steers from outside
(expire sessions, make the next call hit a rate limit, count calls per route), so
they live apart from the protocol code, behind one lock, and are shared by the
Python API and the `/_sandbox/` admin routes.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.schema import ObjectSpec

REQUEST = threading.local()  # the path of the request this thread is serving (for record_error's `path`)
FAULT_KINDS = ("rate_limit", "server_error", "timeout", "expire_sessions", "record_error", "request_limit")


@dataclass
class Fault:
    kind: str
    times: int | None  # None: unlimited (record_error without `times`)
    path: re.Pattern[str] | None
    params: dict[str, Any] = field(default_factory=dict)


class Sessions:
    """Random session tokens; the set can be emptied to simulate expiry."""

    def __init__(self) -> None:
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = "00D5g000000SBOX!" + secrets.token_urlsafe(36)
        with self._lock:
            self._tokens.add(token)
        return token

    def valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and token in self._tokens

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, times: int | None = 1, path: str | None = None, **params: Any) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if times is None and kind != "record_error":
            times = 1  # record_error without `times` stays armed until cleared
        pattern = re.compile(path) if path else None
        with self._lock:
            self._faults.append(Fault(kind, times, pattern, params))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request_path: str) -> Fault | None:
        """The first request-level fault matching this path, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == "record_error":
                    continue
                if fault.path is not None and not fault.path.search(request_path):
                    continue
                self._consume(fault)
                return fault
        return None

    def _consume(self, fault: Fault) -> None:
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)

    def record_error(self, request_path: str, spec: ObjectSpec, row: dict[str, Any]) -> SfError | None:
        """A per-record failure for a write whose [field] equals [value], if one is armed."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != "record_error":
                    continue
                if fault.path is not None and not fault.path.search(request_path):
                    continue
                p = fault.params
                if "object" in p and str(p["object"]).lower() != spec.name.lower():
                    continue
                fname = str(p.get("field", "Name"))
                f = spec.field(fname)
                if f is None or str(row.get(f.name)) != str(p.get("value")):
                    continue
                self._consume(fault)
                return SfError(
                    str(p.get("error_code", "FIELD_CUSTOM_VALIDATION_EXCEPTION")),
                    str(p.get("message", "Record rejected by the sandbox's record_error fault")),
                    [f.name],
                )
        return None


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.by_route: Counter[str] = Counter()
        self.api_calls = 0  # what Sforce-Limit-Info reports; not reset by reset_stats

    def count(self, route: str, api_call: bool) -> int:
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            if api_call:
                self.api_calls += 1
            return self.api_calls

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": self.requests, "by_route": dict(self.by_route), "api_usage": self.api_calls}

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.by_route.clear()
